// .env files as the Serverless Framework reads them: parsed as the `dotenv` package parses them
// (v16: `export`, # comments, single, double and back quotes, values over several lines in
// quotes), then expanded as `dotenv-expand` expands them ($NAME, ${NAME}, ${NAME:-default}).
// Internal to core/manifest.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fx::manifest {

// The largest .env file fx reads, and the longest value expansion may build (a line that
// doubles the one before, thirty times over, would otherwise take gigabytes).
inline constexpr std::uint64_t kMaxDotenvBytes = std::uint64_t{1} << 20;
inline constexpr std::size_t kMaxExpandedBytes = std::size_t{1} << 20;

struct DotenvEntry {
  std::string name;
  std::string value;   // quotes removed; in double quotes, \n and \r are line breaks
  bool expand = true;  // false in single quotes, which dotenv-expand leaves alone
  int line = 0;        // 1-based, where the name is
};

// The KEY=VALUE entries of a dotenv text, in order; a line that is not one is skipped, as
// dotenv skips it. Bytes that are not UTF-8 become U+FFFD, as Node reads the file.
std::vector<DotenvEntry> parse_dotenv(std::string_view text);

// The entries of the file at `path` (`shown` names it in messages). Throws fx::Error when it
// cannot be read or is larger than kMaxDotenvBytes.
std::vector<DotenvEntry> read_dotenv_file(const std::filesystem::path& path,
                                          const std::string& shown);

// The variables of `entries`, expanded: $NAME and ${NAME} read the process environment
// (`getenv`) first, then the entries above; ${NAME:-default} and ${NAME-default} give the
// default when NAME is unset (or, for :-, empty); \$ is a literal $. A name the process
// environment already has keeps the process's value, as dotenv does not override it. Throws
// fx::Error naming `shown`:line when a value grows past kMaxExpandedBytes.
std::map<std::string, std::string> expand_dotenv(
    const std::vector<DotenvEntry>& entries,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::string& shown);

}  // namespace fx::manifest
