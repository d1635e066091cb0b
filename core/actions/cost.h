// The price table a command prices with (`fx cost`, `fx logs --cost`). The report itself is
// core/usage/cost_report.h, computed by the emulator or, for AWS, by core/targets/aws_target.h.
#pragma once

#include <string>

#include "core/manifest/service.h"
#include "core/usage/pricing.h"

namespace fx::actions {

// The price table a command uses: `--pricing FILE`, else the service's custom.fx.pricing (a
// file relative to the service folder, or the table inline), else the built-in one.
// `document` receives the JSON text to send on to an emulator (empty for the built-in).
// Throws fx::Error naming the file and field.
usage::PriceTable select_prices(const std::string& pricing_file, const manifest::Service* service,
                                std::string& document);

}  // namespace fx::actions
