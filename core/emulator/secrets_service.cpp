#include "core/emulator/secrets_service.h"

#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/emulator_front.h"
#include "core/emulator/http_server.h"
#include "core/secrets/api.h"
#include "core/secrets/store.h"
#include "core/util/worker.h"

namespace fx::emulator {

namespace asio = boost::asio;

struct SecretsService::Impl {
  Impl(asio::io_context& io, std::filesystem::path home, std::string region)
      : io(io), home(std::move(home)), region(std::move(region)) {}
  asio::io_context& io;
  std::filesystem::path home;
  std::string region;
  std::unique_ptr<secrets::Store> store;  // opened by the first request, on the worker
  util::Worker worker;                    // last: joined before the store goes
};

SecretsService::SecretsService(asio::io_context& io, std::filesystem::path home, std::string region)
    : impl_(std::make_unique<Impl>(io, std::move(home), std::move(region))) {}

SecretsService::~SecretsService() = default;

bool SecretsService::serves(const HttpRequest& req) {
  auto target = req.header("X-Amz-Target");
  return secrets::is_ssm_target(target) || secrets::is_secretsmanager_target(target);
}

void SecretsService::handle(HttpRequest& req, std::shared_ptr<Responder> r) {
  auto job = [impl = impl_.get(), r = std::move(r),
              target = std::string(req.header("X-Amz-Target")), body = std::move(req.body),
              region = front::request_region(req, impl_->region)]() mutable {
    secrets::ApiResult result;
    try {
      if (!impl->store) impl->store = std::make_unique<secrets::Store>(impl->home);
      result = secrets::is_ssm_target(target)
                   ? secrets::handle_ssm(*impl->store, target, body, region)
                   : secrets::handle_secretsmanager(*impl->store, target, body, region);
    } catch (const std::exception& e) {  // the store cannot be opened
      result = {500, nlohmann::json{{"__type", "InternalFailure"}, {"message", e.what()}}.dump()};
    }
    asio::post(impl->io, [r = std::move(r), result = std::move(result)]() mutable {
      HttpResponse h;
      h.status = result.status;
      h.set("Content-Type", "application/x-amz-json-1.1");
      h.body = std::move(result.body);
      r->send(std::move(h));
    });
  };
  impl_->worker.post(std::move(job));
}

}  // namespace fx::emulator
