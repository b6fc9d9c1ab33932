#include "render/gl_context.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

#include "core/error.h"

namespace muta::render {

TEST_CASE("Headless EGL context: OpenGL 4.5 core without a display", "[gl][render]") {
  const auto context = CreateHeadlessContext();
  context->MakeCurrent();
  const std::string description = context->Describe();
  INFO(description);
  CHECK(description.find("4.") == 0);
  CHECK(description.find("Core Profile") != std::string::npos);
  CHECK(context->NativeDisplay() != nullptr);
  CHECK(context->NativeContext() != nullptr);
  CHECK_FALSE(context->ShouldClose());
  // A second context on the same display, and the first one survives its destruction.
  { const auto other = CreateHeadlessContext(); }
  context->MakeCurrent();
  CHECK(context->Describe() == description);
}

TEST_CASE("Window context without a display is a clear error", "[gl][render]") {
  const auto saved = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto display = saved("DISPLAY"), wayland = saved("WAYLAND_DISPLAY");
  ::unsetenv("DISPLAY");
  ::unsetenv("WAYLAND_DISPLAY");
  try {
    CreateWindowContext(64, 64, "test");
    FAIL("a window without a display");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("xvfb-run") != std::string::npos);
  }
  if (display) ::setenv("DISPLAY", display->c_str(), 1);
  if (wayland) ::setenv("WAYLAND_DISPLAY", wayland->c_str(), 1);
}

}  // namespace muta::render
