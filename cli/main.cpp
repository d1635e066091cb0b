// fx: the command table. Parses flags into plain option structs and hands each command to
// its run_* function; every fx::Error ends here as one `fx: error:` line and an exit code.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <functional>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/util/error.h"
#include "core/util/redact.h"

namespace {

using namespace fx::cli;

void print_error(const GlobalOptions& g, const std::string& what, const std::string& hint) {
  auto s = style_for(g, 2);
  fmt::print(stderr, "{} {}\n", s.red("fx: error:"), what);
  if (!hint.empty()) fmt::print(stderr, "  {}\n", hint);
}

}  // namespace

int main(int argc, char** argv) {
  // Values of SecureString parameters and secrets read while loading a manifest never reach
  // the terminal or a log: everything fx prints goes through util::redact.
  fx::util::redact_stdio();
  GlobalOptions g;
  CLI::App app{"fx: package, deploy, run and price serverless functions", "fx"};
  app.set_version_flag("--version", FX_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default(false);
  app.add_option("-c,--config", g.config,
                 "the manifest (default: serverless.yaml, then serverless.yml)");
  app.add_option("-s,--stage", g.stage, "override the manifest's stage");
  app.add_option("-r,--region", g.region, "override the manifest's region");
  app.add_option("-t,--target", g.target, "local (default), aws, or an fx emulator's URL");
  app.add_option("--profile", g.profile, "the AWS profile for --target aws (else AWS_PROFILE)");
  app.add_flag("--json", g.json, "machine-readable output on stdout");
  app.add_flag("-q,--quiet", g.quiet, "print less");
  app.add_flag("-v,--verbose", g.verbose, "print more");
  app.add_flag("--no-color", g.no_color, "no colour (NO_COLOR is honoured too)");
  app.add_flag("--show-secrets", g.show_secrets,
               "print API keys whole (they are shortened otherwise, in --json too)");

  std::function<int()> run;

  InitOptions init;
  auto* c_init = app.add_subcommand("init", "scaffold a service from a template");
  c_init->add_option("dir", init.dir, "where (default: the current folder)");
  c_init->add_option("--template", init.template_name, "python (default), node, ruby; see --list");
  c_init->add_option("--name", init.name, "the service's name (default: the folder's)");
  c_init->add_flag("--force", init.force, "overwrite the template's files if they exist");
  c_init->add_flag("--list", init.list, "list the templates");
  c_init->callback([&] { run = [&] { return run_init(g, init); }; });

  PackageOptions package;
  auto* c_package = app.add_subcommand("package", "build each function's bundle into .fx/build/");
  c_package->add_option("-f,--function", package.functions, "only this function (repeatable)");
  c_package->add_option("--explain", package.explain, "say why each file of FN's bundle is in it");
  c_package->callback([&] { run = [&] { return run_package(g, package); }; });

  DeployOptions deploy;
  auto* c_deploy =
      app.add_subcommand("deploy", "package and push; unchanged functions are not pushed");
  c_deploy->add_option("-f,--function", deploy.functions, "only this function (repeatable)");
  c_deploy->add_flag("--force", deploy.force, "push code even when it did not change");
  c_deploy->callback([&] { run = [&] { return run_deploy(g, deploy); }; });

  InvokeOptions invoke;
  auto* c_invoke = app.add_subcommand("invoke", "call a function; its result goes to stdout");
  c_invoke->add_option("function", invoke.function, "the function (manifest key or deployed name)")
      ->required();
  c_invoke->add_option("-d,--data", invoke.data, "the event, as JSON")
      ->each([&](const std::string&) { invoke.has_data = true; });
  c_invoke->add_option("--file", invoke.file, "read the event from this file");
  c_invoke->add_option("--type", invoke.type, "RequestResponse (default), Event or DryRun")
      ->check(CLI::IsMember({"RequestResponse", "Event", "DryRun"}));
  c_invoke->add_flag("-l,--log", invoke.log, "print the invocation's log tail to stderr");
  c_invoke->callback([&] { run = [&] { return run_invoke(g, invoke); }; });

  LogsOptions logs;
  auto* c_logs = app.add_subcommand("logs", "print or follow a function's log lines");
  c_logs->add_option("function", logs.function, "the function (manifest key or deployed name)")
      ->required();
  c_logs->add_flag("-f,--follow", logs.follow, "keep printing new lines as they come");
  c_logs->add_option("--since", logs.since, "only lines since: 10m, 2h, 1d or an ISO 8601 time");
  c_logs->add_option("--filter", logs.filter, "only lines containing this text");
  c_logs->add_option("-n,--tail", logs.tail, "only the last N lines")->check(CLI::PositiveNumber);
  c_logs->add_flag("--cost", logs.cost,
                   "the total cost of the REPORT lines shown (with -f: kept running)");
  c_logs
      ->add_option("--provider", logs.provider,
                   "price REPORT lines for aws (default), azure, gcp or cloudflare")
      ->check(CLI::IsMember({"aws", "azure", "gcp", "cloudflare"}));
  c_logs->add_option("--pricing", logs.pricing, "a pricing file instead of the built-in prices");
  c_logs->callback([&] { run = [&] { return run_logs(g, logs); }; });

  auto* c_info = app.add_subcommand("info", "what is deployed: functions, versions, endpoint");
  c_info->callback([&] { run = [&] { return run_info(g); }; });

  auto* c_remove = app.add_subcommand("remove", "delete the service's functions from the target");
  c_remove->callback([&] { run = [&] { return run_remove(g); }; });

  EmulatorCommandOptions emu;
  auto* c_emu = app.add_subcommand("emulator", "start, stop or ask about the local emulator");
  c_emu->require_subcommand(1);
  auto* c_emu_start = c_emu->add_subcommand("start", "start the emulator (in the background)");
  c_emu_start->add_option("-p,--port", emu.port, "port (default 4599; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  c_emu_start
      ->add_option("--gateway-port", emu.gateway_port,
                   "the HTTP gateway's port (default 3000; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  c_emu_start->add_option("--listen", emu.listen,
                          "ADDR or ADDR:PORT (default 127.0.0.1; others need --token)");
  c_emu_start->add_option("--token", emu.token,
                          "require this bearer token (16+ characters) from every client");
  c_emu_start->add_flag("--generate-token", emu.generate_token,
                        "make a random token, require it, and print it once");
  c_emu_start->add_flag("--shared", emu.shared)->group("");
  c_emu_start->add_flag("--foreground", emu.foreground, "run in this terminal");
  c_emu_start->add_option("--ready-fd", emu.ready_fd)->group("");
  c_emu_start->callback([&] {
    emu.action = "start";
    run = [&] { return run_emulator_command(g, emu); };
  });
  auto* c_emu_stop = c_emu->add_subcommand("stop", "stop the emulator");
  c_emu_stop->callback([&] {
    emu.action = "stop";
    run = [&] { return run_emulator_command(g, emu); };
  });
  auto* c_emu_status = c_emu->add_subcommand("status", "is it running, and where");
  c_emu_status->callback([&] {
    emu.action = "status";
    run = [&] { return run_emulator_command(g, emu); };
  });

  CostOptions cost;
  auto* c_cost = app.add_subcommand("cost", "usage measured per function, priced for each cloud");
  c_cost->add_option("function", cost.function, "only this function (manifest key or name)");
  c_cost->add_option("--since", cost.since, "only invocations since: 10m, 2h, 1d or ISO 8601");
  c_cost->add_option("--provider", cost.provider, "aws, azure, gcp, cloudflare or all (default)")
      ->check(CLI::IsMember({"aws", "azure", "gcp", "cloudflare", "all"}));
  c_cost
      ->add_option("--monthly", cost.monthly,
                   "project N invocations a month from the measured profile")
      ->check(CLI::PositiveNumber);
  c_cost->add_flag("--free-tier", cost.free_tier, "subtract each cloud's monthly free tier");
  c_cost->add_flag("--suggest", cost.suggest, "name the cheapest memory size that fits");
  c_cost->add_option("--pricing", cost.pricing, "a pricing file instead of the built-in prices");
  c_cost->callback([&] { run = [&] { return run_cost(g, cost); }; });

  SecretsOptions secrets;
  auto* c_secrets = app.add_subcommand(
      "secrets", "the emulator's SSM parameters and secrets (what ${ssm:...} reads locally)");
  c_secrets->require_subcommand(1);
  auto* c_sec_set = c_secrets->add_subcommand("set", "create or overwrite a parameter");
  c_sec_set->add_option("name", secrets.name, "the parameter, e.g. /app/db-password")->required();
  c_sec_set->add_option("value", secrets.value, "its value")->required();
  c_sec_set->add_flag("--secure", secrets.secure, "a SecureString: encrypted, never printed");
  c_sec_set->add_option("--type", secrets.type, "String (default), StringList or SecureString");
  c_sec_set->add_option("--description", secrets.description, "a description");
  auto* c_sec_get = c_secrets->add_subcommand("get", "print a parameter's value (decrypted)");
  c_sec_get->add_option("name", secrets.name, "the parameter, or /aws/reference/secretsmanager/ID")
      ->required();
  auto* c_sec_list = c_secrets->add_subcommand("list", "the parameters (under PATH) and secrets");
  c_sec_list->add_option("path", secrets.name, "only parameters under this path, e.g. /app");
  auto* c_sec_rm = c_secrets->add_subcommand("rm", "delete a parameter (or a secret, at once)");
  c_sec_rm->add_option("name", secrets.name, "the parameter or secret")->required();
  for (auto* c : {c_sec_set, c_sec_get, c_sec_list, c_sec_rm})
    c->callback([&, c] {
      secrets.action = c->get_name();
      run = [&] { return run_secrets(g, secrets); };
    });

  DevOptions dev;
  auto* c_dev = app.add_subcommand(
      "dev", "emulator in the foreground: redeploy on every save, stream every function's logs");
  c_dev->add_option("-p,--port", dev.port, "the emulator's port when fx dev starts it (0: free)")
      ->check(CLI::Range(0, 65535));
  c_dev->add_option("--gateway-port", dev.gateway_port, "the HTTP gateway's port (0: free)")
      ->check(CLI::Range(0, 65535));
  c_dev->callback([&] { run = [&] { return run_dev(g, dev); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(g, e.what(), "see `fx --help` or `fx COMMAND --help`");
    return 2;
  }
  try {
    return run ? run() : 2;
  } catch (const fx::Error& e) {
    if (e.kind() != fx::ErrorKind::function) print_error(g, e.what(), e.hint());
    return e.kind() == fx::ErrorKind::usage ? 2 : 1;
  } catch (const std::exception& e) {
    print_error(g, e.what(), "this is a bug in fx: please report it with the command you ran");
    return 1;
  }
}
