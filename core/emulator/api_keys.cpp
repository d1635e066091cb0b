// A service's API keys on the emulator (provider.apiGateway.apiKeys): the values it makes for
// keys the manifest gives none, kept in the service's stored document so that every deploy
// (and every restart) answers with the same value, and GET /_fx/v1/services/NAME for fx info.
#include "core/emulator/emulator_front.h"

namespace fx::emulator::front {

namespace {

// 40 letters and digits, as API Gateway's generated keys look: 238 random bits.
std::string generated_key_value() {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::array<unsigned char, 40> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  std::string value;
  // 248 of 256 byte values map evenly onto 62 characters; the rest are drawn again.
  for (unsigned char b : bytes) {
    while (b >= 248) ::getrandom(&b, 1, 0);
    value.push_back(kAlphabet[b % kAlphabet.size()]);
  }
  return value;
}

}  // namespace

json Emulator::api_keys_answer(const manifest::ApiKeys& keys) {
  json out = json::array();
  for (const auto& k : keys.keys)
    out.push_back({{"name", k.name},
                   {"value", k.value},
                   {"enabled", k.enabled},
                   {"usage_plan", k.usage_plan.empty() ? json() : json(k.usage_plan)}});
  return out;
}

void Emulator::keep_generated_api_keys(const std::string& name, manifest::ApiKeys& keys) {
  manifest::ApiKeys before;
  for (auto& [stored_name, text] : sink_.reader().services())
    if (stored_name == name) {
      try {
        before = manifest::parse_service_events(text).api_keys;
      } catch (const std::exception&) {
        // An unreadable old document: its keys get new values.
      }
    }
  for (auto& key : keys.keys) {
    if (!key.value.empty()) continue;
    key.generated = true;
    for (const auto& old : before.keys)
      if (old.name == key.name && old.generated && !old.value.empty()) key.value = old.value;
    if (key.value.empty()) key.value = generated_key_value();
  }
}

void Emulator::fx_service_keys(const std::string& name, Responder& r) {
  for (auto& [stored_name, text] : sink_.reader().services()) {
    if (stored_name != name) continue;
    const auto events = manifest::parse_service_events(text);
    json answer = {{"service", name}, {"api_keys", api_keys_answer(events.api_keys)}};
    if (!events.api_key.empty()) answer["api_key"] = events.api_key;
    return r.send(HttpResponse::json(200, answer.dump()));
  }
  throw lambda::ApiError(404, "ResourceNotFoundException", "Service not found: " + name);
}

}  // namespace fx::emulator::front
