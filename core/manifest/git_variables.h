// ${git:NAME}: what serverless-plugin-git-variables (and serverless-git-info, for user.name and
// user.email) resolve, read from the real `git` in the service's folder, as those plugins run
// it when the framework resolves the manifest.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace fx::manifest {

struct GitValue {
  std::optional<std::string> value;  // nullopt: `why` says what is wrong, `hint` what to do
  std::string why;
  std::string hint;
  bool unknown = false;  // `name` is no git variable: an error even with a fallback
};

// The value of ${git:`name`} for the repository `dir` is in: describe, describeLight, sha1,
// commit, branch, message, messageSubject, messageBody, user (user.name), email (user.email),
// isDirty, repository, tags.
GitValue git_variable(const std::filesystem::path& dir, const std::string& name);

}  // namespace fx::manifest
