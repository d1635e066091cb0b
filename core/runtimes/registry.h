// Every runtime fx knows, in one table: per language family, the runtime identifiers it
// accepts, how its interpreter is found, its shim, its bundler, its `fx init` template and
// what Lambda's runtime provides to functions. The manifest, the emulator's API checks, the
// instance pool, the bundler and `fx init` all ask this table; adding a runtime is one entry
// here plus its shim in templates/runtimes/<name>/.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fx::runtimes {

// How a function's code is packaged (core/bundle).
enum class Bundler {
  python_imports,  // follow the handler's imports; requirements, import roots, bytecode
  node_imports,    // follow require/import through node_modules (or the project's esbuild)
  whole_folder,    // the service folder as it is, as package.patterns shape it
};

// A version manager's installs, ROOT/VERSIONS/<version>/EXECUTABLE: pyenv's
// ~/.pyenv/versions/3.11.7/bin/python, nvm's ~/.nvm/versions/node/v20.11.0/bin/node.
struct VersionStore {
  std::string_view manager;        // "pyenv", for messages
  std::string_view root_variable;  // the root when this environment variable is set
  std::string_view home_root;      // else this folder under HOME
  std::string_view versions;       // the folder of versions under the root
  // Inside one version's folder, the first that is executable: "bin/python{}" ({} the
  // runtime's version: bin/python3.9), then "bin/python".
  std::vector<std::string_view> executables;
};

// Where the emulator gets what a runtime provides.
enum class SdkSource {
  none,         // fx does not install it: a function ships its own
  host_python,  // copied once from the interpreter's own site-packages (the packages and
                // everything they require), as the host's pip installed them
  npm,          // installed once from npm at `version`
};

// The SDK Lambda's runtime has installed for every function, at the version fx names: a
// bundle need not ship it, the emulator installs it once into FX_HOME/sdk, and an instance
// finds it after its own code and layers, as on Lambda (a bundle's own copy wins).
struct ProvidedSdk {
  std::string_view name = {};                  // "the AWS SDK for Python (boto3)", in messages
  std::vector<std::string_view> modules = {};  // what imports find: "boto3", "@aws-sdk/*"
  SdkSource source = SdkSource::none;
  std::vector<std::string_view> packages = {};  // what is installed: "boto3", "@aws-sdk/client-sqs"
  std::string_view version = {};                // every npm package's; empty: the host's
  std::string_view since = {};  // the family's first version that has it ("18"); empty: all
  // Where a sandboxed instance sees it, under the runtime's folder (/var/runtime): Lambda's
  // Node runtimes have it in /var/runtime/node_modules.
  std::string_view runtime_folder = {};
};

struct Family {
  std::string_view name = {};              // "python": the shim's folder under templates/runtimes/
  std::string_view language = {};          // "Python", in messages
  std::vector<std::string_view> ids = {};  // the runtime identifiers, as Lambda spells them
  // id = id_prefix + version + id_suffix: "nodejs" "20" ".x". The version is what the
  // interpreter reports ("3.11", "20", "3.2").
  std::string_view id_prefix = {}, id_suffix = {};

  // Interpreter discovery: the exact version first (a program named for the version on PATH
  // and in the system's folders, then each store's folders for that version, newest patch
  // first), then `program` on PATH with a warning.
  // Names of one version's program, {} the version: "python{}" (python3.11), "node{}" and
  // "node-{}" (node18, Amazon Linux's node-20).
  std::vector<std::string_view> versioned_programs = {};
  std::string_view program = {};  // "python3"; empty: no interpreter (custom runtimes)
  std::vector<VersionStore> stores = {};
  // What the interpreter runs to describe itself (followed by the shim's folder): it writes
  // to fd 3 its real executable, its whole version ("3.11.7", "20.11.0") and then the folders
  // it reads beside the system's (its prefixes), one a line.
  std::vector<std::string_view> probe = {};

  // The entry point under templates/runtimes/<name>/; empty: the bundle's own `bootstrap`.
  std::string_view shim = {};
  // The interpreter's options before the shim.
  std::vector<std::string_view> shim_options = {};
  Bundler bundler = Bundler::whole_folder;
  std::string_view template_name = {};  // `fx init --template NAME`; empty: none
  // What Lambda's runtime has installed for every function (so a bundle need not ship it).
  ProvidedSdk provides = {};

  // A custom runtime: the bundle brings its own bootstrap and no handler is needed.
  bool custom() const { return shim.empty(); }
  // "3.11" for python3.11; empty when `runtime` is not one of this family's spellings.
  std::string version_of(std::string_view runtime) const;
};

// Where a runtime stands in Lambda's lifecycle (docs.aws.amazon.com/lambda/latest/dg/
// lambda-runtimes.html): the day Lambda deprecates it, as an ISO date; empty: none announced.
struct Lifecycle {
  std::string_view runtime;
  std::string_view deprecated;
};
std::span<const Lifecycle> lifecycles();
// The warning a function on a deprecated `runtime` gets on `today` ("2026-12-07"), or empty:
// "python3.8: deprecated by Lambda on 2024-10-14 ...; use python3.14".
std::string deprecation_warning(std::string_view runtime, std::string_view today);
// Today's date in UTC, "2026-12-07".
std::string today_utc();
// The newest runtime of `runtime`'s family ("python3.14" for python3.8).
std::string_view newest_runtime(std::string_view runtime);

// Every family, in the order messages list them.
std::span<const Family> families();
// The family that accepts `runtime`, or nullptr when none does.
const Family* find_family(std::string_view runtime);
// Every accepted runtime identifier, family by family.
std::vector<std::string_view> runtime_ids();

// The SDK Lambda's `runtime` provides (nodejs18.x and later: the AWS SDK for JavaScript v3;
// nodejs16.x: v2), or nullptr when it provides none that fx installs (Ruby's, custom runtimes).
const ProvidedSdk* provided_sdk(std::string_view runtime);
// Whether an import of `module` ("@aws-sdk/client-s3", "boto3.session") is one the runtime
// provides: a bundle need not ship it.
bool provides_module(std::string_view runtime, std::string_view module);

}  // namespace fx::runtimes
