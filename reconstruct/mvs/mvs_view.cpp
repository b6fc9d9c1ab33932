#include "reconstruct/mvs/mvs_view.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/image_io.h"

namespace muta::reconstruct {

namespace {

// Area-weighted resampling along one axis: out[i] averages in[] over [i*s, (i+1)*s).
void ResampleAxis(const std::vector<float>& in, int in_w, int in_h, int out_len, bool horizontal,
                  std::vector<float>& out) {
  const int in_len = horizontal ? in_w : in_h;
  const int other = horizontal ? in_h : in_w;
  const double scale = double(in_len) / out_len;
  out.assign(std::size_t(out_len) * other, 0.0f);
  for (int i = 0; i < out_len; ++i) {
    double a = i * scale, b = (i + 1) * scale;
    if (scale < 1.0) {  // enlarging: linear interpolation at the output pixel centre
      const double c = std::clamp((i + 0.5) * scale - 0.5, 0.0, double(in_len - 1));
      const int i0 = int(c);
      const int i1 = std::min(i0 + 1, in_len - 1);
      const float f = float(c - i0);
      for (int o = 0; o < other; ++o) {
        const float v0 =
            horizontal ? in[std::size_t(o) * in_w + i0] : in[std::size_t(i0) * in_w + o];
        const float v1 =
            horizontal ? in[std::size_t(o) * in_w + i1] : in[std::size_t(i1) * in_w + o];
        (horizontal ? out[std::size_t(o) * out_len + i] : out[std::size_t(i) * in_w + o]) =
            v0 + f * (v1 - v0);
      }
      continue;
    }
    for (int j = int(a); j < std::min(int(std::ceil(b)), in_len); ++j) {
      const float w = float((std::min(b, j + 1.0) - std::max(a, double(j))) / scale);
      if (w <= 0) continue;
      for (int o = 0; o < other; ++o) {
        const float v = horizontal ? in[std::size_t(o) * in_w + j] : in[std::size_t(j) * in_w + o];
        (horizontal ? out[std::size_t(o) * out_len + i] : out[std::size_t(i) * in_w + o]) += w * v;
      }
    }
  }
}

}  // namespace

MvsView ResizeView(const MvsView& view, int width, int height) {
  MUTA_CHECK(width > 0 && height > 0)
      << view.name << ": cannot resize to " << width << "x" << height;
  MvsView out;
  out.name = view.name;
  out.width = width;
  out.height = height;
  out.cam_from_world = view.cam_from_world;
  std::vector<float> tmp;
  ResampleAxis(view.gray, view.width, view.height, width, true, tmp);
  ResampleAxis(tmp, width, view.height, height, false, out.gray);
  out.K = view.K;
  out.K.row(0) *= double(width) / view.width;
  out.K.row(1) *= double(height) / view.height;
  out.K(2, 2) = 1.0;
  return out;
}

MvsView HalveView(const MvsView& view) {
  MvsView out;
  out.name = view.name;
  out.width = std::max(1, view.width / 2);
  out.height = std::max(1, view.height / 2);
  out.cam_from_world = view.cam_from_world;
  out.gray.resize(std::size_t(out.width) * out.height);
  for (int y = 0; y < out.height; ++y) {
    const int y0 = std::min(2 * y, view.height - 1), y1 = std::min(2 * y + 1, view.height - 1);
    for (int x = 0; x < out.width; ++x) {
      const int x0 = std::min(2 * x, view.width - 1), x1 = std::min(2 * x + 1, view.width - 1);
      out.gray[std::size_t(y) * out.width + x] =
          0.25f * (view.At(x0, y0) + view.At(x1, y0) + view.At(x0, y1) + view.At(x1, y1));
    }
  }
  out.K = view.K;
  out.K.row(0) *= 0.5;
  out.K.row(1) *= 0.5;
  out.K(2, 2) = 1.0;
  return out;
}

MvsView LoadMvsView(const std::filesystem::path& image_path, const std::string& name,
                    const Camera& camera, const Rigid3d& cam_from_world, int max_image_size) {
  MUTA_CHECK(camera.model == CameraModel::kPinhole || camera.model == CameraModel::kSimplePinhole)
      << image_path.string() << ": camera " << camera.id << " is " << CameraModelName(camera.model)
      << "; multi-view stereo needs undistorted PINHOLE images – run the undistort stage "
         "(colmap image_undistorter) first";
  const Image image = ReadImage(image_path, 1);
  MUTA_CHECK(image.width == camera.width && image.height == camera.height)
      << image_path.string() << ": image is " << image.width << "x" << image.height
      << " but its camera " << camera.id << " is " << camera.width << "x" << camera.height
      << "; the dense workspace is inconsistent – rerun the undistort stage";
  MvsView view;
  view.name = name;
  view.width = image.width;
  view.height = image.height;
  view.cam_from_world = cam_from_world;
  view.K = camera.K();
  view.gray.resize(image.pixels.size());
  for (std::size_t i = 0; i < image.pixels.size(); ++i) view.gray[i] = image.pixels[i] / 255.0f;
  const int longest = std::max(view.width, view.height);
  if (max_image_size > 0 && longest > max_image_size) {
    const double s = double(max_image_size) / longest;
    const int w = std::max(1, int(std::lround(view.width * s)));
    const int h = std::max(1, int(std::lround(view.height * s)));
    return ResizeView(view, w, h);
  }
  return view;
}

}  // namespace muta::reconstruct
