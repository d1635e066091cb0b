// The one error type fx raises for anything a user can act on. `main` catches it once,
// prints `fx: error: WHAT` and the hint, and picks the exit code from the kind.
#pragma once

#include <stdexcept>
#include <string>

namespace fx {

enum class ErrorKind {
  user,      // bad input, a failed call, a missing file: exit 1
  usage,     // wrong flags or arguments: exit 2
  function,  // the function ran and returned an error: exit 1, error JSON already printed
};

class Error : public std::runtime_error {
 public:
  explicit Error(std::string what, std::string hint = {}, ErrorKind kind = ErrorKind::user)
      : std::runtime_error(std::move(what)), hint_(std::move(hint)), kind_(kind) {}

  // What the user can do about it; may be empty.
  const std::string& hint() const { return hint_; }
  ErrorKind kind() const { return kind_; }

 private:
  std::string hint_;
  ErrorKind kind_;
};

// Thrown for command-line misuse (exit code 2).
inline Error usage_error(std::string what, std::string hint = {}) {
  return Error(std::move(what), std::move(hint), ErrorKind::usage);
}

}  // namespace fx
