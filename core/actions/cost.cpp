#include "core/actions/cost.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/files.h"

namespace fx::actions {

namespace fs = std::filesystem;
using nlohmann::json;

usage::PriceTable select_prices(const std::string& pricing_file, const manifest::Service* service,
                                std::string& document) {
  document.clear();
  auto from_file = [&](const fs::path& path) {
    auto prices = usage::load_prices(path);
    document = util::read_file(path);
    return prices;
  };
  if (!pricing_file.empty()) return from_file(pricing_file);
  if (service) {
    auto fx = json::parse(service->custom_fx_json, nullptr, false);
    if (fx.is_object() && fx.contains("pricing")) {
      const auto& p = fx["pricing"];
      std::string where =
          fmt::format("{}: custom.fx.pricing", service->manifest_path.filename().string());
      if (p.is_string()) {
        fs::path path = p.get<std::string>();
        if (path.is_relative()) path = service->dir / path;
        return from_file(path);
      }
      if (p.is_object()) {
        document = p.dump();
        return usage::parse_prices(document, where);
      }
      throw Error(
          fmt::format("{}: expected a file name or a map of prices, got {}", where, p.dump()),
          "see templates/pricing.json in the fx repository for the shape");
    }
  }
  return usage::builtin_prices();
}

}  // namespace fx::actions
