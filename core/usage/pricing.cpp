#include "core/usage/pricing.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/embedded.h"
#include "core/util/error.h"

namespace fx::usage {

namespace {

using nlohmann::json;

constexpr std::string_view kPriceHint = "every price must be a number >= 0";

// Reads one JSON object field by field, naming each failure by its JSON path so that a typo
// in an override file points at the line to fix.
class Reader {
 public:
  explicit Reader(const std::string& origin) : origin_(origin) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what,
                         std::string_view hint = kPriceHint) const {
    std::string where =
        origin_ == "built-in" ? "built-in pricing table" : "pricing file " + origin_;
    std::string message = path.empty() ? fmt::format("{}: {}", where, what)
                                       : fmt::format("{}: {} {}", where, path, what);
    throw Error(std::move(message), std::string(hint));
  }

  const json& field(const json& object, const std::string& path, const char* key) const {
    auto it = object.find(key);
    if (it == object.end())
      fail(join(path, key), "is missing",
           "a pricing file has every field of templates/pricing.json in the fx sources");
    return *it;
  }

  const json& object(const json& parent, const std::string& path, const char* key) const {
    const json& v = field(parent, path, key);
    if (!v.is_object()) {
      fail(join(path, key), fmt::format("is not an object ({})", v.dump()),
           "see templates/pricing.json for the expected shape");
    }
    return v;
  }

  double number(const json& v, const std::string& path) const {
    if (!v.is_number()) fail(path, fmt::format("is not a number ({})", v.dump()));
    double d = v.get<double>();
    if (d < 0) fail(path, fmt::format("is negative ({})", v.dump()));
    return d;
  }

  double number(const json& parent, const std::string& path, const char* key) const {
    return number(field(parent, path, key), join(path, key));
  }

  // An integer at least `min` (a rounding step of 0 would divide by zero).
  int integer(const json& v, const std::string& path, int min) const {
    std::string hint = fmt::format("this field must be a whole number >= {}", min);
    if (!v.is_number_integer()) fail(path, fmt::format("is not an integer ({})", v.dump()), hint);
    bool too_big = v.is_number_unsigned()
                       ? v.get<std::uint64_t>() > std::uint64_t{std::numeric_limits<int>::max()}
                       : v.get<std::int64_t>() > std::numeric_limits<int>::max();
    if (too_big || (!v.is_number_unsigned() && v.get<std::int64_t>() < min)) {
      fail(path, fmt::format("is out of range ({})", v.dump()), hint);
    }
    int i = v.get<int>();
    if (i < min) fail(path, fmt::format("is out of range ({})", v.dump()), hint);
    return i;
  }

  int integer(const json& parent, const std::string& path, const char* key, int min) const {
    return integer(field(parent, path, key), join(path, key), min);
  }

  bool boolean(const json& parent, const std::string& path, const char* key) const {
    const json& v = field(parent, path, key);
    if (!v.is_boolean()) {
      fail(join(path, key), fmt::format("is not true or false ({})", v.dump()),
           "this field must be true or false");
    }
    return v.get<bool>();
  }

  std::vector<Tier> tiers(const json& parent, const std::string& path, const char* key) const {
    const json& v = field(parent, path, key);
    std::string tiers_path = join(path, key);
    constexpr std::string_view kTierHint =
        "tiers are [{\"up_to\": GB-s, \"price\": USD}, ...] with up_to ascending and the last "
        "one null (no limit)";
    if (!v.is_array() || v.empty()) {
      fail(tiers_path, fmt::format("is not a non-empty array of tiers ({})", v.dump()), kTierHint);
    }
    std::vector<Tier> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string tier_path = fmt::format("{}[{}]", tiers_path, i);
      if (!v[i].is_object()) {
        fail(tier_path, fmt::format("is not an object ({})", v[i].dump()), kTierHint);
      }
      Tier tier;
      const json& up_to = field(v[i], tier_path, "up_to");
      bool last = i + 1 == v.size();
      if (last) {
        if (!up_to.is_null()) {
          fail(tier_path + ".up_to", fmt::format("is not null ({})", up_to.dump()), kTierHint);
        }
      } else {
        if (up_to.is_null()) fail(tier_path + ".up_to", "is null before the last tier", kTierHint);
        tier.up_to = number(up_to, tier_path + ".up_to");
        double previous = out.empty() ? 0 : out.back().up_to;
        if (tier.up_to <= previous) {
          fail(tier_path + ".up_to",
               fmt::format("is not above the previous tier's ({} <= {})", tier.up_to, previous),
               kTierHint);
        }
      }
      tier.price = number(v[i], tier_path, "price");
      out.push_back(tier);
    }
    return out;
  }

  std::vector<std::pair<int, double>> vcpu_table(const json& parent, const std::string& path,
                                                 const char* key) const {
    const json& v = field(parent, path, key);
    std::string table_path = join(path, key);
    constexpr std::string_view kTableHint =
        "the table is [[memory MB, vCPU], ...] with memory ascending";
    if (!v.is_array() || v.empty()) {
      fail(table_path, fmt::format("is not a non-empty array ({})", v.dump()), kTableHint);
    }
    std::vector<std::pair<int, double>> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::string row_path = fmt::format("{}[{}]", table_path, i);
      if (!v[i].is_array() || v[i].size() != 2) {
        fail(row_path, fmt::format("is not a [memory MB, vCPU] pair ({})", v[i].dump()),
             kTableHint);
      }
      int memory = integer(v[i][0], row_path + "[0]", 1);
      double vcpu = number(v[i][1], row_path + "[1]");
      if (!out.empty() && memory <= out.back().first) {
        fail(row_path + "[0]",
             fmt::format("is not above the previous row's ({} <= {})", memory, out.back().first),
             kTableHint);
      }
      out.emplace_back(memory, vcpu);
    }
    return out;
  }

 private:
  static std::string join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : path + "." + key;
  }

  const std::string& origin_;
};

}  // namespace

PriceTable parse_prices(std::string_view json_text, const std::string& origin) {
  Reader read(origin);
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    // nlohmann's message is "[json.exception.parse_error.101] parse error at line 3, column
    // 5: ..."; the bracketed id means nothing to a user, the line and column do.
    std::string what = e.what();
    if (auto bracket = what.find("] ");
        what.starts_with("[json.") && bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    read.fail("", fmt::format("is not valid JSON (byte {}): {}", e.byte, what),
              "check the file with a JSON linter, e.g. `python3 -m json.tool FILE`");
  }
  if (!doc.is_object()) {
    read.fail("", fmt::format("is not a JSON object ({})", doc.type_name()),
              "see templates/pricing.json for the expected shape");
  }

  PriceTable t;
  t.origin = origin;
  const json& date = read.field(doc, "", "date");
  if (!date.is_string()) {
    read.fail("date", fmt::format("is not a string ({})", date.dump()),
              "date is when the figures were checked, \"YYYY-MM-DD\"");
  }
  t.date = date.get<std::string>();

  const std::string aws_path = "aws";
  const json& aws = read.object(doc, "", "aws");
  t.aws.request_per_million = read.number(aws, aws_path, "request_per_million");
  t.aws.x86_64_gb_s = read.tiers(aws, aws_path, "x86_64_gb_s");
  t.aws.arm64_gb_s = read.tiers(aws, aws_path, "arm64_gb_s");
  t.aws.free_requests = read.number(aws, aws_path, "free_requests");
  t.aws.free_gb_s = read.number(aws, aws_path, "free_gb_s");
  t.aws.bill_init = read.boolean(aws, aws_path, "bill_init");
  t.aws.ephemeral_storage_gb_s = read.number(aws, aws_path, "ephemeral_storage_gb_s");
  t.aws.provisioned_warm_gb_s = read.number(aws, aws_path, "provisioned_warm_gb_s");
  t.aws.provisioned_duration_gb_s = read.number(aws, aws_path, "provisioned_duration_gb_s");

  const std::string azure_path = "azure";
  const json& azure = read.object(doc, "", "azure");
  t.azure.gb_s = read.number(azure, azure_path, "gb_s");
  t.azure.execution_per_million = read.number(azure, azure_path, "execution_per_million");
  t.azure.free_gb_s = read.number(azure, azure_path, "free_gb_s");
  t.azure.free_executions = read.number(azure, azure_path, "free_executions");
  t.azure.memory_rounding_mb = read.integer(azure, azure_path, "memory_rounding_mb", 1);
  t.azure.minimum_ms = read.integer(azure, azure_path, "minimum_ms", 0);

  const std::string gcp_path = "gcp";
  const json& gcp = read.object(doc, "", "gcp");
  t.gcp.vcpu_s = read.number(gcp, gcp_path, "vcpu_s");
  t.gcp.gib_s = read.number(gcp, gcp_path, "gib_s");
  t.gcp.request_per_million = read.number(gcp, gcp_path, "request_per_million");
  t.gcp.free_vcpu_s = read.number(gcp, gcp_path, "free_vcpu_s");
  t.gcp.free_gib_s = read.number(gcp, gcp_path, "free_gib_s");
  t.gcp.free_requests = read.number(gcp, gcp_path, "free_requests");
  t.gcp.rounding_ms = read.integer(gcp, gcp_path, "rounding_ms", 1);
  t.gcp.vcpu_by_memory_mb = read.vcpu_table(gcp, gcp_path, "vcpu_by_memory_mb");

  const std::string gen1_path = "gcp_gen1";
  const json& gen1 = read.object(doc, "", "gcp_gen1");
  t.gcp_gen1.request_per_million = read.number(gen1, gen1_path, "request_per_million");
  t.gcp_gen1.gb_s = read.number(gen1, gen1_path, "gb_s");
  t.gcp_gen1.ghz_s = read.number(gen1, gen1_path, "ghz_s");

  const std::string cf_path = "cloudflare";
  const json& cf = read.object(doc, "", "cloudflare");
  t.cloudflare.monthly_minimum = read.number(cf, cf_path, "monthly_minimum");
  t.cloudflare.included_requests = read.number(cf, cf_path, "included_requests");
  t.cloudflare.request_per_million = read.number(cf, cf_path, "request_per_million");
  t.cloudflare.included_cpu_ms = read.number(cf, cf_path, "included_cpu_ms");
  t.cloudflare.cpu_ms_per_million = read.number(cf, cf_path, "cpu_ms_per_million");
  return t;
}

const PriceTable& builtin_prices() {
  static const PriceTable table = [] {
    const auto* file = util::find_embedded("pricing.json");
    if (!file) throw Error("the built-in pricing table is missing from this build of fx");
    return parse_prices(file->data, "built-in");
  }();
  return table;
}

PriceTable load_prices(const std::filesystem::path& file) {
  constexpr std::string_view kHint =
      "--pricing and custom.fx.pricing take a JSON file shaped like fx's templates/pricing.json";
  std::error_code ec;
  // An ifstream opens a directory without complaint and then reads nothing.
  if (std::filesystem::is_directory(file, ec)) {
    throw Error(fmt::format("cannot read pricing file {}: it is a directory", file.string()),
                std::string(kHint));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(fmt::format("cannot read pricing file {}: {}", file.string(), std::strerror(errno)),
                std::string(kHint));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_prices(text.str(), file.string());
}

}  // namespace fx::usage
