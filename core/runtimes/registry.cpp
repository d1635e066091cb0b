#include "core/runtimes/registry.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace fx::runtimes {

namespace {

// asdf and mise keep every language's installs under one root: ~/.asdf/installs/<plugin>/<version>,
// ~/.local/share/mise/installs/<tool>/<version>.
VersionStore asdf(std::string_view versions, std::vector<std::string_view> executables) {
  return {"asdf", "ASDF_DATA_DIR", ".asdf", versions, std::move(executables)};
}
VersionStore mise(std::string_view versions, std::vector<std::string_view> executables) {
  return {"mise", "MISE_DATA_DIR", ".local/share/mise", versions, std::move(executables)};
}

// clang-format off
const std::vector<Family> kFamilies = {
    {
        .name = "python",
        .language = "Python",
        .ids = {"python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
                "python3.14"},
        .id_prefix = "python",
        .id_suffix = "",
        .versioned_programs = {"python{}"},
        .program = "python3",
        .stores = {{"pyenv", "PYENV_ROOT", ".pyenv", "versions", {"bin/python{}", "bin/python"}},
                   asdf("installs/python", {"bin/python{}", "bin/python"}),
                   mise("installs/python", {"bin/python{}", "bin/python"})},
        // It also compiles fx's shim for this interpreter: a sandboxed instance sees the
        // shim's folder read-only and would otherwise compile it again at every cold start
        // (5-6 ms). fd 3 carries the answer, so a noisy sitecustomize cannot garble it.
        .probe = {"-c",
                  "import os,sys,compileall;compileall.compile_dir(sys.argv[1],quiet=2);"
                  "os.write(3,('%s\\n%d.%d.%d\\n%s\\n'%(sys.executable,*sys.version_info[:3],"
                  "'\\n'.join({sys.prefix,sys.base_prefix,sys.exec_prefix,"
                  "sys.base_exec_prefix}))).encode())"},
        .shim = "bootstrap.py",
        // No `site`: the host's site-packages (its .pth files, sitecustomize) never reach a
        // function. The shim sets sys.path as Lambda's runtime has it: the code, the layers,
        // the runtime with its SDK, the standard library.
        .shim_options = {"-S"},
        .bundler = Bundler::python_imports,
        .template_name = "python",
        // Lambda's Python runtimes have boto3 (and what it requires) in /var/runtime.
        .provides = {.name = "the AWS SDK for Python (boto3)",
                     .modules = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six",
                                 "urllib3"},
                     .source = SdkSource::host_python,
                     .packages = {"boto3"},
                     .runtime_folder = "sdk"},
    },
    {
        .name = "node",
        .language = "Node.js",
        .ids = {"nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"},
        .id_prefix = "nodejs",
        .id_suffix = ".x",
        // Homebrew's node@18 links node18 nowhere, but distributions and hand installs name
        // it so; Amazon Linux 2023 installs node-20, node-22 beside `node`.
        .versioned_programs = {"node{}", "node-{}"},
        .program = "node",
        .stores = {{"nvm", "NVM_DIR", ".nvm", "versions/node", {"bin/node"}},
                   {"fnm", "FNM_DIR", ".local/share/fnm", "node-versions", {"installation/bin/node"}},
                   asdf("installs/nodejs", {"bin/node"}),
                   mise("installs/node", {"bin/node"}),
                   {"volta", "VOLTA_HOME", ".volta", "tools/image/node", {"bin/node"}}},
        // node lives in PREFIX/bin, its own modules in PREFIX/lib: PREFIX is its prefix.
        .probe = {"-e",
                  "const p=require('path');require('fs').writeSync(3,process.execPath+'\\n'+"
                  "process.versions.node+'\\n'+"
                  "p.dirname(p.dirname(process.execPath))+'\\n')"},
        .shim = "bootstrap.js",
        .bundler = Bundler::node_imports,
        .template_name = "node",
        // nodejs18.x and later have the AWS SDK for JavaScript v3 in /var/runtime/node_modules
        // (nodejs16.x has v2, `aws-sdk`, there: kNodeSdkV2 below).
        // Lambda's runtime has every @aws-sdk/* package; fx installs, once per FX_HOME and on
        // a worker thread, the clients of what it emulates and those public projects import
        // most (the corpus's: Step Functions, EventBridge, API Gateway's management API,
        // Cognito). The first Node function on a new machine waits for that install, so the
        // list stays short: 32 clients took ~90 s against ~40 s for these on a slow registry
        // (bench/README.md, "Issue 17 — SDK provisioning"), longer than a first request's
        // patience. A client not listed is the function's to ship; installing one when a
        // deployed function first imports it is the way to widen this without that cost.
        // The installed folder's name hashes this list: a changed list installs afresh.
        .provides = {.name = "the AWS SDK for JavaScript v3 (@aws-sdk/*)",
                     .modules = {"@aws-sdk/*"},
                     .source = SdkSource::npm,
                     .packages = {"@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb",
                                  "@aws-sdk/client-sqs", "@aws-sdk/client-lambda",
                                  "@aws-sdk/client-s3", "@aws-sdk/client-sns",
                                  "@aws-sdk/client-ssm", "@aws-sdk/client-secrets-manager",
                                  "@aws-sdk/client-sfn", "@aws-sdk/client-eventbridge",
                                  "@aws-sdk/client-apigatewaymanagementapi",
                                  "@aws-sdk/client-cognito-identity-provider"},
                     .version = "3.1178.0",
                     .since = "18",
                     .runtime_folder = "node_modules"},
    },
    {
        .name = "ruby",
        .language = "Ruby",
        .ids = {"ruby3.2", "ruby3.3", "ruby3.4"},
        .id_prefix = "ruby",
        .id_suffix = "",
        .versioned_programs = {"ruby{}"},  // Debian's ruby3.1, a build's ruby3.3
        .program = "ruby",
        .stores = {{"rbenv", "RBENV_ROOT", ".rbenv", "versions", {"bin/ruby"}},
                   asdf("installs/ruby", {"bin/ruby"}), mise("installs/ruby", {"bin/ruby"})},
        // Its prefix, its library folder and its default gem folder (Debian's is
        // /var/lib/gems/X.Y.0, outside the prefix).
        .probe = {"-e",
                  "require 'rbconfig';c=RbConfig::CONFIG;d=[RbConfig.ruby,RUBY_VERSION,"
                  "c['prefix'],c['rubylibprefix']];"
                  "d<<Gem.default_dir if defined?(Gem);IO.for_fd(3).write(d.join(\"\\n\")+\"\\n\")"},
        .shim = "bootstrap.rb",
        .bundler = Bundler::whole_folder,
        .template_name = "ruby",
        .provides = {.name = "the AWS SDK for Ruby", .modules = {"aws-sdk-*"}},  // not installed
    },
    {
        .name = "provided",
        .language = "a custom runtime",
        .ids = {"provided", "provided.al2", "provided.al2023"},
        .bundler = Bundler::whole_folder,
    },
};
// Lambda's nodejs16.x (and the Node runtimes before it) have the AWS SDK for JavaScript v2 in
// /var/runtime/node_modules where later ones have v3: projects written for them require
// `aws-sdk` without shipping it. Its last version, as npm has it.
const ProvidedSdk kNodeSdkV2 = {.name = "the AWS SDK for JavaScript v2 (aws-sdk)",
                                .modules = {"aws-sdk"},
                                .source = SdkSource::npm,
                                .packages = {"aws-sdk"},
                                .version = "2.1693.0",
                                .runtime_folder = "node_modules"};
// clang-format on

}  // namespace

std::string Family::version_of(std::string_view runtime) const {
  if (std::find(ids.begin(), ids.end(), runtime) == ids.end() || program.empty()) return {};
  runtime.remove_prefix(id_prefix.size());
  runtime.remove_suffix(id_suffix.size());
  return std::string(runtime);
}

std::span<const Family> families() {
  return kFamilies;
}

const Family* find_family(std::string_view runtime) {
  for (const auto& f : kFamilies)
    if (std::find(f.ids.begin(), f.ids.end(), runtime) != f.ids.end()) return &f;
  return nullptr;
}

namespace {

// "3.10" >= "3.9", "20" >= "18": dotted numbers, compared part by part.
bool version_at_least(std::string_view version, std::string_view minimum) {
  auto next = [](std::string_view& v) {
    int n = 0;
    while (!v.empty() && v.front() >= '0' && v.front() <= '9')
      n = n * 10 + (v.front() - '0'), v.remove_prefix(1);
    if (!v.empty() && v.front() == '.') v.remove_prefix(1);
    return n;
  };
  while (!version.empty() || !minimum.empty()) {
    int a = next(version), b = next(minimum);
    if (a != b) return a > b;
  }
  return true;
}

// "@aws-sdk/*" matches "@aws-sdk/client-s3"; "boto3" matches "boto3" and "boto3.session".
bool module_matches(std::string_view pattern, std::string_view module) {
  if (pattern.ends_with('*')) return module.starts_with(pattern.substr(0, pattern.size() - 1));
  return module == pattern || (module.starts_with(pattern) && module.size() > pattern.size() &&
                               (module[pattern.size()] == '.' || module[pattern.size()] == '/'));
}

}  // namespace

const ProvidedSdk* provided_sdk(std::string_view runtime) {
  const Family* family = find_family(runtime);
  if (!family || family->provides.modules.empty()) return nullptr;
  const auto& sdk = family->provides;
  if (!sdk.since.empty() && !version_at_least(family->version_of(runtime), sdk.since))
    return family->name == "node" ? &kNodeSdkV2 : nullptr;
  return &sdk;
}

bool provides_module(std::string_view runtime, std::string_view module) {
  const ProvidedSdk* sdk = provided_sdk(runtime);
  if (!sdk) return false;
  return std::any_of(sdk->modules.begin(), sdk->modules.end(),
                     [&](std::string_view p) { return module_matches(p, module); });
}

namespace {

// Lambda's deprecation dates, as its runtimes page lists them (supported runtimes with their
// planned dates, deprecated ones with theirs). After the date Lambda patches the runtime no
// more, and some weeks later it refuses to create, then to update, functions on it; a
// function already there keeps running, and the emulator keeps running it too, with a
// warning. The runtimes Lambda retired long ago (python3.7, nodejs14.x, ruby2.7, go1.x)
// are not in the registry at all: the manifest and CreateFunction refuse them.
constexpr Lifecycle kLifecycles[] = {
    {"python3.8", "2024-10-14"},  {"python3.9", "2025-12-15"},    {"python3.10", "2026-06-30"},
    {"python3.11", "2026-06-30"}, {"python3.12", "2028-10-31"},   {"python3.13", "2029-06-30"},
    {"python3.14", "2029-06-30"}, {"nodejs16.x", "2024-06-12"},   {"nodejs18.x", "2025-09-01"},
    {"nodejs20.x", "2026-04-30"}, {"nodejs22.x", "2027-04-30"},   {"nodejs24.x", "2028-04-30"},
    {"ruby3.2", "2026-03-31"},    {"ruby3.3", "2027-03-31"},      {"ruby3.4", "2028-03-31"},
    {"provided", "2024-01-08"},   {"provided.al2", "2026-07-31"}, {"provided.al2023", "2029-06-30"},
};

}  // namespace

std::span<const Lifecycle> lifecycles() {
  return kLifecycles;
}

std::string_view newest_runtime(std::string_view runtime) {
  const Family* family = find_family(runtime);
  return family ? family->ids.back() : std::string_view();
}

std::string deprecation_warning(std::string_view runtime, std::string_view today) {
  for (const auto& l : kLifecycles)
    if (l.runtime == runtime && !l.deprecated.empty() && today >= l.deprecated)
      return fmt::format(
          "{}: deprecated by Lambda on {} (no more security patches; Lambda refuses to create "
          "or update functions on it some weeks later); use {}",
          runtime, l.deprecated, newest_runtime(runtime));
  return {};
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return day;
}

std::vector<std::string_view> runtime_ids() {
  std::vector<std::string_view> out;
  for (const auto& f : kFamilies) out.insert(out.end(), f.ids.begin(), f.ids.end());
  return out;
}

}  // namespace fx::runtimes
