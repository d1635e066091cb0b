// Values fx must never print: those it read from SecureString parameters and secrets while
// loading a manifest. The places fx prints through (errors, warnings, deploy and info output)
// pass their text through redact(), which shows each such value as "****".
#pragma once

#include <string>
#include <string_view>

namespace fx::util {

// Registers a value to hide from now on (values shorter than 4 characters are not: "****" in
// place of every "1" or "on" would garble the output and hide nothing).
void add_secret(std::string value);

// `text` with every registered value replaced by "****".
std::string redact(std::string_view text);

// Makes stdout and stderr pass what is written to them through redact() on the way to file
// descriptors 1 and 2 (line-buffered: a value is replaced whole unless a line outgrows the 64 KB
// buffer). Called once, first thing in main, so that every print of fx's is covered.
void redact_stdio();

}  // namespace fx::util
