// Contacts, the outbox with masked secrets, and the HTTP gateway against a local stub.
#include "notify/notifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <mutex>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace vidyut::notify {
namespace {

TEST(Contacts, AreIndianMobilesWithALanguage) {
  EXPECT_EQ(*normalise_mobile("98765 43210"), "+919876543210");
  EXPECT_EQ(*normalise_mobile("+91-98765-43210"), "+919876543210");
  for (const char* bad : {"12345", "+9198765432", "+441234567890", "5876543210", "98765x3210"}) {
    EXPECT_FALSE(normalise_mobile(bad).ok()) << bad;
  }
  auto c = parse_contacts_csv(
      "consumer_id,mobile,language\nC1,9876543210,hi\n# a note\nC2,+919812345678\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].language, "hi");
  EXPECT_EQ((*c)[1].language, "en");
  auto bad = parse_contacts_csv("C1,9876543210\nC2,123\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
}

TEST(Notifier, SendsThroughTheGatewayAndRecordsWithTheSecretMasked) {
  // A gateway stub on loopback that records what it received.
  std::mutex mu;
  std::vector<nlohmann::json> received;
  std::string auth;
  auto gateway = http::Server::start(http::ServerOptions{}, [&](const http::Request& r) {
    std::lock_guard l(mu);
    received.push_back(nlohmann::json::parse(r.body));
    auth = r.header("authorization");
    return http::json_response(202, R"({"id":"gw-1"})");
  });
  ASSERT_TRUE(gateway.ok());
  const auto dir =
      std::filesystem::temp_directory_path() / ("vidyut-notify-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ManualClock clock{UtcTime(Millis(1'796'149'800'000))};
  auto n = Notifier::open(
      dir, clock,
      http_sms_gateway("http://127.0.0.1:" + std::to_string((*gateway)->port()) + "/sms",
                       "s3cret"));
  ASSERT_TRUE(n.ok());
  ASSERT_TRUE((*n)->import_contacts({{"C1", "+919876543210", "hi"}}).ok());
  EXPECT_EQ((*(*n)->contact("C1"))->mobile, "+919876543210");
  EXPECT_FALSE((*n)->contact("C2")->has_value());
  auto m = (*n)->send_now("C1", "+919876543210", "sign-in-code", "Your code is 482913",
                          "Your code is ******");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->result, "gw-1");
  {
    std::lock_guard l(mu);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0]["to"], "+919876543210");
    EXPECT_EQ(received[0]["text"], "Your code is 482913");
    EXPECT_EQ(auth, "Bearer s3cret");
  }
  auto all = (*n)->messages_after(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].text, "Your code is ******");
  EXPECT_EQ((*all)[0].state, "sent");
  n->reset();
  std::string bytes;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(f.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(bytes.find("482913"), std::string::npos) << "the code is never at rest";

  // A gateway that refuses: the failure is an error and is recorded.
  auto refusing = http::Server::start(http::ServerOptions{}, [](const http::Request&) {
    return http::error_response(503, "busy");
  });
  ASSERT_TRUE(refusing.ok());
  auto n2 = Notifier::open(
      dir, clock,
      http_sms_gateway("http://127.0.0.1:" + std::to_string((*refusing)->port()) + "/", ""));
  ASSERT_TRUE(n2.ok());
  auto failed = (*n2)->send_now("C1", "+919876543210", "low-balance", "Low balance", "Low balance");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("503"), std::string::npos);
  EXPECT_EQ((*(*n2)->messages_after(1, 10))[0].state, "failed");
  n2->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vidyut::notify
