#pragma once
// Private helpers of muta::render's GL code (a backend header: it includes the GL
// declarations, so only render/*.cpp include it): owning handles for GL objects, shader
// programs loaded from the asset folder, and error checks.

#include <epoxy/gl.h>

#include <string>
#include <utility>

#include <Eigen/Core>

namespace muta::render::gl {

/// An owning GL object name; `Delete` frees one name.
template <void (*Delete)(GLuint)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(GLuint id) : id_(id) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  GLuint get() const { return id_; }
  explicit operator bool() const { return id_ != 0; }
  void Reset() {
    if (id_ != 0) Delete(id_);
    id_ = 0;
  }

 private:
  GLuint id_ = 0;
};

void DeleteBuffer(GLuint id);
void DeleteVertexArray(GLuint id);
void DeleteTexture(GLuint id);
void DeleteFramebuffer(GLuint id);
void DeleteRenderbuffer(GLuint id);
void DeleteProgram(GLuint id);

using Buffer = Handle<DeleteBuffer>;
using VertexArray = Handle<DeleteVertexArray>;
using Texture = Handle<DeleteTexture>;
using Framebuffer = Handle<DeleteFramebuffer>;
using Renderbuffer = Handle<DeleteRenderbuffer>;
using Program = Handle<DeleteProgram>;

Buffer CreateBuffer();
VertexArray CreateVertexArray();
Texture CreateTexture(GLenum target);
Framebuffer CreateFramebuffer();
Renderbuffer CreateRenderbuffer();

/// Compiles and links shaders/VERT and shaders/FRAG from the asset folder. Throws muta::Error
/// with the file name and the compiler's log on failure.
Program LoadProgram(const std::string& vert_name, const std::string& frag_name);

/// Uniform setters by name (a name the linker dropped is ignored, as GL does).
void SetUniform(GLuint program, const char* name, int value);
void SetUniform(GLuint program, const char* name, float value);
void SetUniform(GLuint program, const char* name, const Eigen::Vector3f& value);
void SetUniform(GLuint program, const char* name, const Eigen::Matrix4f& value);

/// Throws muta::Error (internal) if glGetError reports an error; `where` names the step.
void CheckError(const char* where);
/// Throws muta::Error (internal) if the bound draw framebuffer is incomplete.
void CheckFramebuffer(GLuint framebuffer, const char* what);

}  // namespace muta::render::gl
