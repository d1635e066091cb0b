// SSM Parameter Store and Secrets Manager on the emulator's endpoint (core/secrets/api.h), run on
// a worker thread of their own. The store and its key file in FX_HOME are made at the first
// request, so an emulator whose functions use no secrets leaves no key behind.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

class Responder;
struct HttpRequest;

class SecretsService {
 public:
  SecretsService(boost::asio::io_context& io, std::filesystem::path home, std::string region);
  ~SecretsService();

  // Whether the request is for SSM or Secrets Manager (by its X-Amz-Target).
  static bool serves(const HttpRequest& req);
  void handle(HttpRequest& req, std::shared_ptr<Responder> r);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
