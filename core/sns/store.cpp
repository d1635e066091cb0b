#include "core/sns/store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/store/sqlite.h"

namespace fx::sns {

using nlohmann::json;

struct Store::Db {
  store::Database db;
  explicit Db(const std::filesystem::path& path)
      : db(path, store::Database::Options{.what = "SNS store", .single_thread = true}) {
    db.exec(R"(
      CREATE TABLE IF NOT EXISTS topics (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS subscriptions (arn TEXT PRIMARY KEY, doc TEXT NOT NULL);)");
  }
};

namespace {

json tags_json(const Tags& tags) {
  json out = json::array();
  for (const auto& [k, v] : tags) out.push_back({k, v});
  return out;
}

Tags tags_of(const json& j) {
  Tags out;
  if (j.is_array())
    for (const auto& p : j)
      if (p.is_array() && p.size() == 2)
        out.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  return out;
}

}  // namespace

Store::Store(const std::filesystem::path& db_path) : db_(std::make_unique<Db>(db_path)) {
  {
    store::Stmt s(db_->db.prepare("SELECT doc FROM topics"));
    while (s.step()) {
      json d = json::parse(s.text(0), nullptr, false);
      if (!d.is_object()) continue;
      Topic t;
      t.arn = d.value("arn", "");
      t.name = d.value("name", "");
      t.attributes = d.value("attributes", std::map<std::string, std::string>{});
      t.tags = tags_of(d.value("tags", json::array()));
      t.service = d.value("service", "");
      if (!t.arn.empty()) topics_[t.arn] = std::move(t);
    }
  }
  store::Stmt s(db_->db.prepare("SELECT doc FROM subscriptions"));
  while (s.step()) {
    json d = json::parse(s.text(0), nullptr, false);
    if (!d.is_object()) continue;
    Subscription sub;
    sub.arn = d.value("arn", "");
    sub.topic_arn = d.value("topic_arn", "");
    sub.protocol = d.value("protocol", "");
    sub.endpoint = d.value("endpoint", "");
    sub.attributes = d.value("attributes", std::map<std::string, std::string>{});
    sub.service = d.value("service", "");
    if (!sub.arn.empty()) subscriptions_[sub.arn] = std::move(sub);
  }
}

Store::~Store() = default;

const Topic* Store::topic(const std::string& arn) const {
  auto it = topics_.find(arn);
  return it == topics_.end() ? nullptr : &it->second;
}

const Subscription* Store::subscription(const std::string& arn) const {
  auto it = subscriptions_.find(arn);
  return it == subscriptions_.end() ? nullptr : &it->second;
}

void Store::put_topic(const Topic& t) {
  json d = {{"arn", t.arn},
            {"name", t.name},
            {"attributes", t.attributes},
            {"tags", tags_json(t.tags)},
            {"service", t.service}};
  store::Stmt s(db_->db.prepare("INSERT OR REPLACE INTO topics (arn, doc) VALUES (?, ?)"));
  s.bind(t.arn).bind(d.dump());
  s.step();
  topics_[t.arn] = t;
}

void Store::erase_topic(const std::string& arn) {
  store::Transaction tx(db_->db);
  {
    store::Stmt s(db_->db.prepare("DELETE FROM topics WHERE arn = ?"));
    s.bind(arn);
    s.step();
  }
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    if (it->second.topic_arn == arn) {
      store::Stmt s(db_->db.prepare("DELETE FROM subscriptions WHERE arn = ?"));
      s.bind(it->first);
      s.step();
    }
    ++it;
  }
  tx.commit();
  topics_.erase(arn);
  std::erase_if(subscriptions_, [&](const auto& kv) { return kv.second.topic_arn == arn; });
}

void Store::put_subscription(const Subscription& sub) {
  json d = {{"arn", sub.arn},           {"topic_arn", sub.topic_arn},   {"protocol", sub.protocol},
            {"endpoint", sub.endpoint}, {"attributes", sub.attributes}, {"service", sub.service}};
  store::Stmt s(db_->db.prepare("INSERT OR REPLACE INTO subscriptions (arn, doc) VALUES (?, ?)"));
  s.bind(sub.arn).bind(d.dump());
  s.step();
  subscriptions_[sub.arn] = sub;
}

void Store::erase_subscription(const std::string& arn) {
  store::Stmt s(db_->db.prepare("DELETE FROM subscriptions WHERE arn = ?"));
  s.bind(arn);
  s.step();
  subscriptions_.erase(arn);
}

}  // namespace fx::sns
