#include "render/gl_util.h"

#include <string>
#include <vector>

#include "core/assets.h"
#include "core/error.h"
#include "core/file_io.h"

namespace muta::render::gl {
namespace {

std::string ShaderLog(GLuint shader) {
  GLint length = 0;
  glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
  std::string log(static_cast<std::size_t>(std::max(length, 1)), '\0');
  glGetShaderInfoLog(shader, length, nullptr, log.data());
  return log.c_str();
}

std::string ProgramLog(GLuint program) {
  GLint length = 0;
  glGetProgramiv(program, GL_INFO_LOG_LENGTH, &length);
  std::string log(static_cast<std::size_t>(std::max(length, 1)), '\0');
  glGetProgramInfoLog(program, length, nullptr, log.data());
  return log.c_str();
}

GLuint CompileShader(GLenum type, const std::string& name) {
  const auto path = AssetPath("shaders/" + name);
  const std::string source = ReadFileText(path);
  const GLuint shader = glCreateShader(type);
  const char* text = source.c_str();
  glShaderSource(shader, 1, &text, nullptr);
  glCompileShader(shader);
  GLint ok = GL_FALSE;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (ok != GL_TRUE) {
    const std::string log = ShaderLog(shader);
    glDeleteShader(shader);
    MUTA_INTERNAL_CHECK(false) << "shader " << path.string() << " does not compile:\n" << log;
  }
  return shader;
}

const char* ErrorName(GLenum error) {
  switch (error) {
    case GL_INVALID_ENUM:
      return "GL_INVALID_ENUM";
    case GL_INVALID_VALUE:
      return "GL_INVALID_VALUE";
    case GL_INVALID_OPERATION:
      return "GL_INVALID_OPERATION";
    case GL_INVALID_FRAMEBUFFER_OPERATION:
      return "GL_INVALID_FRAMEBUFFER_OPERATION";
    case GL_OUT_OF_MEMORY:
      return "GL_OUT_OF_MEMORY";
    default:
      return "unknown GL error";
  }
}

}  // namespace

void DeleteBuffer(GLuint id) {
  glDeleteBuffers(1, &id);
}
void DeleteVertexArray(GLuint id) {
  glDeleteVertexArrays(1, &id);
}
void DeleteTexture(GLuint id) {
  glDeleteTextures(1, &id);
}
void DeleteFramebuffer(GLuint id) {
  glDeleteFramebuffers(1, &id);
}
void DeleteRenderbuffer(GLuint id) {
  glDeleteRenderbuffers(1, &id);
}
void DeleteProgram(GLuint id) {
  glDeleteProgram(id);
}

Buffer CreateBuffer() {
  GLuint id = 0;
  glCreateBuffers(1, &id);
  return Buffer(id);
}

VertexArray CreateVertexArray() {
  GLuint id = 0;
  glCreateVertexArrays(1, &id);
  return VertexArray(id);
}

Texture CreateTexture(GLenum target) {
  GLuint id = 0;
  glCreateTextures(target, 1, &id);
  return Texture(id);
}

Framebuffer CreateFramebuffer() {
  GLuint id = 0;
  glCreateFramebuffers(1, &id);
  return Framebuffer(id);
}

Renderbuffer CreateRenderbuffer() {
  GLuint id = 0;
  glCreateRenderbuffers(1, &id);
  return Renderbuffer(id);
}

Program LoadProgram(const std::string& vert_name, const std::string& frag_name) {
  const GLuint vert = CompileShader(GL_VERTEX_SHADER, vert_name);
  GLuint frag = 0;
  try {
    frag = CompileShader(GL_FRAGMENT_SHADER, frag_name);
  } catch (...) {
    glDeleteShader(vert);
    throw;
  }
  Program program(glCreateProgram());
  glAttachShader(program.get(), vert);
  glAttachShader(program.get(), frag);
  glLinkProgram(program.get());
  glDeleteShader(vert);
  glDeleteShader(frag);
  GLint ok = GL_FALSE;
  glGetProgramiv(program.get(), GL_LINK_STATUS, &ok);
  MUTA_INTERNAL_CHECK(ok == GL_TRUE)
      << "shaders " << vert_name << " + " << frag_name << " do not link:\n"
      << ProgramLog(program.get());
  return program;
}

void SetUniform(GLuint program, const char* name, int value) {
  glProgramUniform1i(program, glGetUniformLocation(program, name), value);
}

void SetUniform(GLuint program, const char* name, float value) {
  glProgramUniform1f(program, glGetUniformLocation(program, name), value);
}

void SetUniform(GLuint program, const char* name, const Eigen::Vector3f& value) {
  glProgramUniform3fv(program, glGetUniformLocation(program, name), 1, value.data());
}

void SetUniform(GLuint program, const char* name, const Eigen::Matrix4f& value) {
  // Eigen is column-major, as GL expects.
  glProgramUniformMatrix4fv(program, glGetUniformLocation(program, name), 1, GL_FALSE,
                            value.data());
}

void CheckError(const char* where) {
  const GLenum error = glGetError();
  MUTA_INTERNAL_CHECK(error == GL_NO_ERROR)
      << "OpenGL error " << ErrorName(error) << " in " << where;
}

void CheckFramebuffer(GLuint framebuffer, const char* what) {
  const GLenum status = glCheckNamedFramebufferStatus(framebuffer, GL_DRAW_FRAMEBUFFER);
  MUTA_INTERNAL_CHECK(status == GL_FRAMEBUFFER_COMPLETE)
      << "the " << what << " framebuffer is incomplete (status 0x" << std::hex << status << ")";
}

}  // namespace muta::render::gl
