#pragma once
// Errors: muta::Error and the MUTA_CHECK family.
//
//   MUTA_CHECK(cond) << "message";           // bad input or bad use: exit code 1
//   MUTA_INTERNAL_CHECK(cond) << "message";  // a bug in Muta: exit code 2
//
// Both throw muta::Error carrying the source file:line. User-facing messages name the file,
// the problem and what to do about it.

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace muta {

enum class ErrorKind : std::uint8_t {
  kUser,      ///< Bad input, bad options, missing tool: the user can fix it. Exit code 1.
  kInternal,  ///< A broken invariant inside Muta. Exit code 2.
};

/// The exception every Muta module throws. what() is the user-facing message.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, const char* file = "", int line = 0)
      : std::runtime_error(std::move(message)), kind_(kind), file_(file), line_(line) {}

  ErrorKind kind() const { return kind_; }
  /// Source location that raised the error ("" when unknown).
  const char* file() const { return file_; }
  int line() const { return line_; }

 private:
  ErrorKind kind_;
  const char* file_;
  int line_;
};

/// Thrown when the user asked to stop (SIGINT). Exit code 130.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("interrupted") {}
};

namespace internal {

// Collects a message with operator<< and throws muta::Error from its destructor.
class ThrowStream {
 public:
  ThrowStream(ErrorKind kind, const char* file, int line) : kind_(kind), file_(file), line_(line) {}
  ThrowStream(const ThrowStream&) = delete;
  ThrowStream& operator=(const ThrowStream&) = delete;
  [[noreturn]] ~ThrowStream() noexcept(false);
  std::ostream& stream() { return stream_; }

 private:
  ErrorKind kind_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

// Lets MUTA_CHECK be an expression: `void & stream` binds looser than `<<`.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace internal
}  // namespace muta

#define MUTA_CHECK(cond)                                                           \
  (cond) ? (void)0                                                                 \
         : ::muta::internal::Voidify() &                                           \
               ::muta::internal::ThrowStream(::muta::ErrorKind::kUser, __FILE__, __LINE__).stream()

#define MUTA_INTERNAL_CHECK(cond)                                                  \
  (cond) ? (void)0                                                                 \
         : ::muta::internal::Voidify() &                                           \
               ::muta::internal::ThrowStream(::muta::ErrorKind::kInternal, __FILE__, __LINE__) \
                       .stream()                                                   \
                   << "internal error: check failed: " #cond ": "

/// Unconditional user error: MUTA_FAIL << "message";
#define MUTA_FAIL MUTA_CHECK(false)
