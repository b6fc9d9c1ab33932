// muta xr: one frame – xrWaitFrame/xrBeginFrame, input, the views, each eye rendered through
// render/viewer's ViewScene into the swapchains, the composition layers and xrEndFrame.
#include <algorithm>
#include <array>
#include <cmath>

#include "xr/app/viewer_app.h"

namespace muta::xr::detail {

void Viewer::Frame() {
  XrFrameState frame_state{XR_TYPE_FRAME_STATE};
  MUTA_XR_CHECK(xrWaitFrame(session_, nullptr, &frame_state));
  const double cpu0 = ThreadCpuMs();
  MUTA_XR_CHECK(xrBeginFrame(session_, nullptr));
  const XrTime time = frame_state.predictedDisplayTime;

  std::optional<TrackedPose> head;
  {
    XrSpaceLocation location{XR_TYPE_SPACE_LOCATION};
    MUTA_XR_CHECK(xrLocateSpace(view_space_, base_space_, time, &location));
    const XrSpaceLocationFlags need =
        XR_SPACE_LOCATION_POSITION_VALID_BIT | XR_SPACE_LOCATION_ORIENTATION_VALID_BIT;
    if ((location.locationFlags & need) == need) head = ToTracked(location.pose);
  }
  vignette_ = 0;
  laser_ = {};
  // The panel appears in front of the first head pose (the controllers bring it back).
  if (!panel_ && head) panel_ = PlacePanel(*head);
  double dt_s = 0;
  if (state_ == XR_SESSION_STATE_FOCUSED) {
    const InputFrame input = input_->Sync(base_space_, time);
    dt_s =
        last_input_time_ > 0 ? std::clamp(1e-9 * double(time - last_input_time_), 0.0, 0.1) : 0.0;
    last_input_time_ = time;
    if (head) HandleInput(input, *head, dt_s);
  } else {
    last_input_time_ = 0;
  }

  std::vector<const XrCompositionLayerBaseHeader*> layers;
  XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
  std::array<XrCompositionLayerProjectionView, 2> proj{};
  std::array<XrCompositionLayerDepthInfoKHR, 2> depth{};
  XrCompositionLayerQuad quad{XR_TYPE_COMPOSITION_LAYER_QUAD};
  bool panel_shown = false;
  std::array<double, 2> eye_ms{0, 0};
  std::array<Eigen::Vector3d, 2> eye_world;
  std::array<Eigen::Vector3d, 2> eye_forward;
  bool rendered = false;
  if (frame_state.shouldRender) {
    XrViewLocateInfo locate{XR_TYPE_VIEW_LOCATE_INFO};
    locate.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    locate.displayTime = time;
    locate.space = base_space_;
    XrViewState view_state{XR_TYPE_VIEW_STATE};
    std::array<XrView, 2> views{XrView{XR_TYPE_VIEW}, XrView{XR_TYPE_VIEW}};
    uint32_t count = 0;
    MUTA_XR_CHECK(xrLocateViews(session_, &locate, &view_state, 2, &count, views.data()));
    const XrViewStateFlags need =
        XR_VIEW_STATE_POSITION_VALID_BIT | XR_VIEW_STATE_ORIENTATION_VALID_BIT;
    if (count == 2 && (view_state.viewStateFlags & need) == need) {
      for (int eye = 0; eye < 2; ++eye) {
        const double t0 = ThreadCpuMs();
        const TrackedPose pose = ToTracked(views[eye].pose);
        RenderEye(eye, pose, views[eye].fov);
        eye_ms[eye] = ThreadCpuMs() - t0;
        eye_world[eye] = rig_.ToWorld(pose.position);
        eye_forward[eye] = rig_.DirectionToWorld(pose.orientation * -Eigen::Vector3d::UnitZ());
        const XrRect2Di rect{{0, 0}, {colour_[eye].width, colour_[eye].height}};
        proj[eye] = {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW};
        proj[eye].pose = views[eye].pose;
        proj[eye].fov = views[eye].fov;
        proj[eye].subImage = {colour_[eye].handle, rect, 0};
        if (depth_[eye].handle != XR_NULL_HANDLE) {
          // Reversed depth (render/renderer.cpp): 1 at the near plane, 0 at the far one.
          depth[eye] = {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR};
          depth[eye].subImage = {depth_[eye].handle, rect, 0};
          depth[eye].minDepth = 0;
          depth[eye].maxDepth = 1;
          depth[eye].nearZ = static_cast<float>(FarM());
          depth[eye].farZ = static_cast<float>(kNearM);
          proj[eye].next = &depth[eye];
        }
      }
      layer.space = base_space_;
      layer.viewCount = 2;
      layer.views = proj.data();
      if (blend_ != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) {
        layer.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
      }
      layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&layer));
      rendered = true;
      panel_ms_ = 0;
      panel_shown = RenderPanel(dt_s > 0 ? dt_s : 1.0 / 90, quad);
      if (panel_shown) {
        layers.push_back(reinterpret_cast<const XrCompositionLayerBaseHeader*>(&quad));
      }
    }
  }
  const double cpu_ms = ThreadCpuMs() - cpu0;
  XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
  end.displayTime = time;
  end.environmentBlendMode = blend_;
  end.layerCount = static_cast<uint32_t>(layers.size());
  end.layers = layers.data();
  MUTA_XR_CHECK(xrEndFrame(session_, &end));
  if (!rendered) return;

  ++summary_.frames_rendered;
  frame_cpu_ms_.push_back(cpu_ms);
  eye_cpu_ms_.push_back(eye_ms[0]);
  eye_cpu_ms_.push_back(eye_ms[1]);
  const render::viewer::SceneStats stats = scene_->Stats();
  Json eyes = Json::array();
  for (int eye = 0; eye < 2; ++eye) {
    eyes.push_back({{"position", Vec(eye_world[eye])}, {"forward", Vec(eye_forward[eye])}});
  }
  Log({{"type", "frame"},
       {"frame", summary_.frames_rendered - 1},
       {"session", summary_.sessions - 1},
       {"predicted_display_time", time},
       {"head", head ? Vec(rig_.ToWorld(head->position)) : Json()},
       {"eyes", eyes},
       {"rig", RigJson()},
       {"show_inferred", settings_.render.layers.show_inferred},
       {"aiming", teleport_hand_ >= 0},
       {"vignette", vignette_},
       {"panel", panel_shown},
       {"laser", laser_.shown ? Json{{"hand", laser_.hand},
                                     {"from", Vec(laser_.from)},
                                     {"to", Vec(laser_.to)},
                                     {"on_panel", laser_.panel_px.has_value()}}
                              : Json()},
       {"section_planes", settings_.render.section_planes.size()},
       {"panel_cpu_ms", panel_ms_},
       {"triangles", stats.triangles_drawn},
       {"tiles_resident", stats.tiles_resident},
       {"cpu_ms", cpu_ms},
       {"eye_cpu_ms", {eye_ms[0], eye_ms[1]}}});
}

GLuint Viewer::Acquire(const Swapchain& s) {
  uint32_t index = 0;
  MUTA_XR_CHECK(xrAcquireSwapchainImage(s.handle, nullptr, &index));
  XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
  wait.timeout = XR_INFINITE_DURATION;
  MUTA_XR_CHECK(xrWaitSwapchainImage(s.handle, &wait));
  MUTA_INTERNAL_CHECK(index < s.images.size()) << "swapchain image index out of range";
  return s.images[index];
}

void Viewer::RenderEye(int eye, const TrackedPose& pose, const XrFovf& fov) {
  const Swapchain& colour = colour_[eye];
  const Camera camera = EyeCamera({fov.angleLeft, fov.angleRight, fov.angleUp, fov.angleDown},
                                  colour.width, colour.height);
  const Rigid3d cam_from_world = rig_.CamFromWorld(pose);
  settings_.render.near_m = kNearM * rig_.scale();
  settings_.render.far_m = FarM() * rig_.scale();
  if (first_frame_ || options_.complete_tiles) {
    // The first frame waits for the tiles (the headset shows the runtime's own scene until
    // then); later frames never wait.
    scene_->UpdateComplete(camera, cam_from_world);
  } else {
    scene_->Update(camera, cam_from_world);
  }
  const GLuint image = Acquire(colour);
  glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, image, 0);
  const bool own_depth = depth_[eye].handle == XR_NULL_HANDLE;
  if (own_depth) {
    glNamedFramebufferRenderbuffer(fbo_, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, depth_rb_);
  } else {
    glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, Acquire(depth_[eye]), 0);
  }
  const GLenum status = glCheckNamedFramebufferStatus(fbo_, GL_DRAW_FRAMEBUFFER);
  MUTA_INTERNAL_CHECK(status == GL_FRAMEBUFFER_COMPLETE)
      << "the swapchain framebuffer is incomplete (status 0x" << std::hex << status << ")";
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, fbo_);
  scene_->Draw(camera, cam_from_world, settings_, colour.width, colour.height);
  if (blend_ != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) overlays_->ClearBackground();
  if (teleport_hand_ >= 0) {
    overlays_->DrawArc(arc_, camera, cam_from_world, settings_.render.near_m,
                       settings_.render.far_m, rig_.scale());
  }
  DrawSceneMarks(camera, cam_from_world);
  overlays_->DrawVignette(camera, vignette_);
  glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
  glNamedFramebufferTexture(fbo_, GL_COLOR_ATTACHMENT0, 0, 0);
  if (own_depth) {
    glNamedFramebufferRenderbuffer(fbo_, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, 0);
  } else {
    glNamedFramebufferTexture(fbo_, GL_DEPTH_ATTACHMENT, 0, 0);
    MUTA_XR_CHECK(xrReleaseSwapchainImage(depth_[eye].handle, nullptr));
  }
  MUTA_XR_CHECK(xrReleaseSwapchainImage(colour.handle, nullptr));
  if (eye == 1) first_frame_ = false;
}

}  // namespace muta::xr::detail
