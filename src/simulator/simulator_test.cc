// The simulator on real loopback sockets: meters push to a head end and answer it on the same
// session, static-IP meters accept inbound DLMS sessions, the control port steers the fleet,
// and a cut operator moves meters to their other SIM (another source address).
#include "simulator/simulator.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "dlms/cosem/is15959.h"
#include "dlms/session/client.h"
#include "net/dlms_tcp.h"
#include "simulator/push_sink.h"

namespace vidyut::simulator {
namespace {

namespace is = dlms::is15959;
using fleet::Fleet;

const UtcTime kStart = UtcTime(Millis(1'790'000'000'000));

fleet::Topology small_fleet(double static_share = 0.0) {
  fleet::FleetSpec s;
  s.seed = 11;
  s.consumers = 40;
  s.consumers_per_dt = 20;
  s.dts_per_feeder = 2;
  s.static_ip_share = static_share;
  return fleet::generate(s);
}

fleet::FleetConfig quiet() {
  fleet::FleetConfig c;
  c.rates = fleet::EventRates::none();
  c.limiter_trips = false;
  return c;
}

// Polls `cond` for up to 10 s of real time (socket tests must wait for the other side).
template <class Cond>
bool eventually(Cond cond) {
  for (int i = 0; i < 1000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// Advances simulated time in steps, letting the simulator's thread catch up after each.
void step(ManualClock& clock, Simulator& sim, Millis total, Millis by = Millis(60'000)) {
  for (Millis d{0}; d < total; d += by) {
    clock.advance(by);
    eventually([&] {
      return sim.with_fleet([&](Fleet& f) { return f.next_event_time() > clock.now(); });
    });
  }
}

TEST(Simulator, EveryPushReachesTheHeadEndAndDeciphersWithThatMetersKeys) {
  ManualClock clock(kStart);
  Fleet fleet(small_fleet(), quiet(), clock);
  std::mutex mu;
  std::set<std::uint32_t> senders;
  net::TcpServerOptions so;
  so.bind_address = "127.0.0.1";
  so.port = 0;
  so.limits.max_connections = 1000;
  PushSink sink(&fleet.topology(), so, [&](std::uint32_t m, const dlms::DataNotification&) {
    std::lock_guard<std::mutex> l(mu);
    senders.insert(m);
  });
  ASSERT_TRUE(sink.start().ok());
  SimulatorOptions opt;
  opt.head_end_host = "127.0.0.1";
  opt.head_end_port = sink.port();
  opt.linger = Millis(200);
  Simulator sim(fleet, clock, opt);
  ASSERT_TRUE(sim.start().ok());
  step(clock, sim, Millis(3'600'000));
  const auto sent = sim.with_fleet([](Fleet& f) { return f.stats().pushes_sent; });
  EXPECT_GE(sent, 3 * fleet.size());
  EXPECT_TRUE(eventually([&] { return sink.stats().notifications == sent; }))
      << sink.stats().notifications << " of " << sent;
  EXPECT_EQ(sink.stats().rejected, 0u);
  EXPECT_EQ(sim.stats().frames_sent, sent);
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(senders.size(), fleet.size());
}

// A head end that answers the first push by associating (public client) and reading the
// logical device name on the same connection.
class AskingHeadEnd final : public net::StreamHandler {
 public:
  explicit AskingHeadEnd(std::string* answer, std::mutex* mu) : answer_(answer), mu_(mu) {}
  Result<Bytes> on_bytes(ByteView data) override {
    dec_.feed(data);
    Bytes out;
    while (true) {
      auto f = dec_.next();
      if (!f.ok()) return f.error();
      if (!*f) break;
      const Bytes& apdu = (*f)->apdu;
      if (state_ == 0 && (*f)->destination == fleet::kPushDestinationWPort) {
        auto aarq = codec_.build_aarq();
        if (!aarq.ok()) return aarq.error();
        auto w = dlms::wrap(is::kSapPublic, 1, *aarq);
        out.insert(out.end(), w.begin(), w.end());
        state_ = 1;
      } else if (state_ == 1 && (*f)->destination == is::kSapPublic) {
        VIDYUT_CHECK(codec_.on_aare(apdu));
        auto get = codec_.build_get({1, is::kLogicalDeviceName, 2});
        if (!get.ok()) return get.error();
        auto w = dlms::wrap(is::kSapPublic, 1, *get);
        out.insert(out.end(), w.begin(), w.end());
        state_ = 2;
      } else if (state_ == 2 && (*f)->destination == is::kSapPublic) {
        auto r = codec_.on_get_response(apdu);
        if (!r.ok()) return r.error();
        const auto* d = std::get_if<dlms::Data>(&r->results.at(0));
        if (d && d->as_octets()) {
          std::lock_guard<std::mutex> l(*mu_);
          *answer_ = std::string(d->as_octets()->begin(), d->as_octets()->end());
        }
        state_ = 3;
      }
    }
    return out;
  }
  bool wants_close() const override { return false; }

 private:
  std::string* answer_;
  std::mutex* mu_;
  dlms::WrapperDecoder dec_;
  dlms::ClientSettings settings_;
  dlms::ClientCodec codec_{settings_};
  int state_ = 0;
};

TEST(Simulator, MeterAnswersTheHeadEndOnItsOwnPushSession) {
  ManualClock clock(kStart);
  fleet::Topology t = small_fleet();
  // One meter only would be simpler to follow; keep the fleet and look at the first answer.
  Fleet fleet(std::move(t), quiet(), clock);
  std::mutex mu;
  std::string answer;
  std::set<std::string> sources;
  net::TcpServerOptions so;
  so.bind_address = "127.0.0.1";
  so.port = 0;
  so.limits.max_connections = 1000;
  net::DlmsTcpServer head_end(so, [&](const net::PeerInfo& peer) {
    {
      std::lock_guard<std::mutex> l(mu);
      sources.insert(peer.address);
    }
    return std::make_unique<AskingHeadEnd>(&answer, &mu);
  });
  ASSERT_TRUE(head_end.start().ok());
  SimulatorOptions opt;
  opt.head_end_host = "127.0.0.1";
  opt.head_end_port = head_end.port();
  opt.linger = Millis(2000);
  Simulator sim(fleet, clock, opt);
  ASSERT_TRUE(sim.start().ok());
  step(clock, sim, Millis(20 * 60'000));
  // The first answer can come before every meter has dialled (a slow machine, a sanitizer):
  // wait for both.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return !answer.empty() && sources.size() >= fleet.size() - 1;
  }));
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(answer.substr(0, 3), "VDY");
  EXPECT_EQ(answer.size(), 16u);
  EXPECT_GT(sim.stats().requests_served, 0u);
  // Meters dial from per-meter, per-SIM loopback addresses.
  EXPECT_GE(sources.size(), fleet.size() - 1);
  for (const auto& a : sources) EXPECT_TRUE(a.rfind("127.1", 0) == 0) << a;
}

TEST(Simulator, StaticIpMeterAcceptsAnInboundDlmsSessionOnItsOwnAddress) {
  ManualClock clock(kStart);
  Fleet fleet(small_fleet(1.0), quiet(), clock);
  SimulatorOptions opt;
  opt.inbound = true;
  opt.inbound_bind = "0.0.0.0";
  opt.inbound_port = 0;  // ephemeral
  Simulator sim(fleet, clock, opt);
  ASSERT_TRUE(sim.start().ok());
  // Every association the meter has: public (16), meter reader (32, LLS), utility (48,
  // HLS-GMAC with authenticated encryption), with the credentials of the fleet file.
  for (std::uint32_t m : {5u, fleet.topology().dts[0].meter}) {
    const auto& rec = fleet.topology().meters[m];
    ASSERT_FALSE(rec.static_ip.empty());
    for (std::uint16_t sap : {is::kSapPublic, is::kSapMeterReader, is::kSapUtility}) {
      net::TcpEndpoint ep;
      ep.host = rec.static_ip;
      ep.port = sim.inbound_port();
      ep.client_sap = sap;
      auto transport = net::TcpApduTransport::connect(ep);
      ASSERT_TRUE(transport.ok()) << transport.error().describe();
      const dlms::ClientSettings cs = fleet::client_settings(rec, sap);
      dlms::Client client(**transport, cs);
      auto assoc = client.associate();
      ASSERT_TRUE(assoc.ok()) << sap << ": " << assoc.error().describe();
      // The public client may read the logical device name; the others the serial number.
      const bool pub = sap == is::kSapPublic;
      auto r = client.get({1, pub ? is::kLogicalDeviceName : is::kSerialNumber, 2});
      ASSERT_TRUE(r.ok()) << sap;
      const auto* d = std::get_if<dlms::Data>(&*r);
      ASSERT_TRUE(d) << sap;
      if (pub) {
        ASSERT_TRUE(d->as_octets());
        EXPECT_EQ(std::string(d->as_octets()->begin(), d->as_octets()->end()).substr(3),
                  "00000" + rec.identity.serial);
      } else {
        ASSERT_TRUE(d->as_text());
        EXPECT_EQ(*d->as_text(), rec.identity.serial);
      }
    }
  }
  const auto& rec = fleet.topology().meters[5];
  net::TcpEndpoint ep;
  ep.port = sim.inbound_port();
  dlms::ClientSettings cs;
  cs.client_sap = is::kSapMeterReader;
  cs.auth = dlms::Authentication::kLow;
  cs.password = rec.secrets.lls_password;
  // A wrong password is refused.
  {
    net::TcpEndpoint wrong = ep;
    wrong.host = rec.static_ip;
    wrong.client_sap = is::kSapMeterReader;
    auto t = net::TcpApduTransport::connect(wrong);
    ASSERT_TRUE(t.ok());
    dlms::ClientSettings bad = cs;
    bad.password = "WRONGPASSWORD123";
    dlms::Client c(**t, bad);
    EXPECT_EQ(c.associate().error().code, Errc::kAuthFailed);
  }
  // An address no meter has is refused.
  net::TcpEndpoint nobody = ep;
  nobody.host = "127.63.0.1";
  nobody.client_sap = is::kSapMeterReader;
  auto t2 = net::TcpApduTransport::connect(nobody);
  if (t2.ok()) {
    dlms::Client c2(**t2, cs);
    EXPECT_FALSE(c2.associate().ok());
  }
}

TEST(Simulator, ControlPortSteersTheFleetAndExplainsMistakes) {
  ManualClock clock(kStart);
  Fleet fleet(small_fleet(), quiet(), clock);
  SimulatorOptions opt;
  opt.control_port = kAnyPort;
  Simulator sim(fleet, clock, opt);
  ASSERT_TRUE(sim.start().ok());
  const std::string dt = fleet.topology().dts[0].name;
  auto a = send_control("127.0.0.1", sim.control_port(), "fail-dt " + dt + " 30");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->rfind("ok dt-outage " + dt, 0), 0u) << *a;
  EXPECT_TRUE(
      sim.with_fleet([&](Fleet& f) { return f.grid().dt_outages(0).contains(clock.now()); }));
  auto b = send_control("127.0.0.1", sim.control_port(), "fail-dt NOWHERE");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->rfind("error not found", 0), 0u) << *b;
  auto c = send_control("127.0.0.1", sim.control_port(), "status");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->find("dts-out 1"), std::string::npos) << *c;
}

TEST(Simulator, ControlPortTypesAHotspotTokenIntoAnOfflineMeter) {
  ManualClock clock(kStart);
  Fleet fleet(small_fleet(), quiet(), clock);
  SimulatorOptions opt;
  opt.control_port = kAnyPort;
  Simulator sim(fleet, clock, opt);
  ASSERT_TRUE(sim.start().ok());
  std::uint32_t m = 0;
  while (fleet.topology().meters[m].consumer_id.empty()) ++m;
  const fleet::MeterRecord& rec = fleet.topology().meters[m];
  const std::string& serial = rec.identity.serial;
  auto control = [&](const std::string& line) {
    auto r = send_control("127.0.0.1", sim.control_port(), line);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? *r : std::string();
  };
  // Offline (both SIM paths cut) and disconnected.
  EXPECT_EQ(control("cut-sim " + serial + " 1").rfind("ok", 0), 0u);
  EXPECT_EQ(control("cut-sim " + serial + " 2").rfind("ok", 0), 0u);
  sim.with_fleet([&](Fleet& f) {
    (void)f.meter(m).disconnect();
    return f.after_session(m).size();
  });
  const auto key = token::derive_token_key(rec.secrets.ak, rec.identity.system_title);
  const std::string t = token::encode_token(key, {4, 250, token::ist_day(clock.now())}).value();
  const std::string a = control("token " + serial + " " + token::format_token(t));
  EXPECT_EQ(a, "ok token " + serial + " accepted sequence 4 amount 250 relay closed");
  EXPECT_TRUE(sim.with_fleet([&](Fleet& f) { return f.meter(m).relay_connected(); }));
  const std::string again = control("token " + serial + " " + t);
  EXPECT_EQ(again.rfind("ok token " + serial + " refused already-used", 0), 0u) << again;
  EXPECT_EQ(
      control("token " + serial + " 1234").rfind("ok token " + serial + " refused malformed", 0),
      0u);
  EXPECT_EQ(control("token 99999999 " + t).rfind("error not found", 0), 0u);
  EXPECT_EQ(control("token " + serial).rfind("error invalid argument", 0), 0u);
}

}  // namespace
}  // namespace vidyut::simulator
