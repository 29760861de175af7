// IEC 61968-9 (CIM) messages for the utility's other systems (docs/cim.md): meter readings of a
// day (validated 15-minute data, streamed a page of meters at a time), end-device events from the
// platform's alerts, and end-device controls that open and close consumers' relays through the
// same steps as the control room's Disconnect and Reconnect. Every answer is a ResponseMessage.
#include <fmt/format.h>

#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "access/password.h"
#include "api/guard.h"
#include "api/platform_api.h"
#include "api/route_support.h"
#include "cim/end_device_controls.h"
#include "cim/end_device_events.h"
#include "cim/message.h"
#include "cim/meter_readings.h"
#include "core/log.h"
#include "mdm/manual_relay.h"
#include "mdm/usage.h"
#include "tariff/calendar.h"

namespace vidyut::api {
namespace {

using access::Permission;

inline constexpr const char* kXml = "application/xml; charset=utf-8";
inline constexpr const char* kSource = "Vidyut";
// Events one end-device-events answer holds at most (and by default).
inline constexpr std::size_t kMaxEventsPerAnswer = 1'000;
inline constexpr std::size_t kDefaultEvents = 200;
// Control messages whose replies are remembered, so that a repeated message is answered again
// and not carried out twice.
inline constexpr std::size_t kRememberedControlMessages = 1'000;

std::string message_id() {
  const std::string h = access::random_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

cim::Header response_header(const char* noun, UtcTime now) {
  cim::Header h;
  h.verb = "reply";
  h.noun = noun;
  h.timestamp = now;
  h.source = kSource;
  h.message_id = message_id();
  return h;
}

http::Response xml_response(int status, std::string body) {
  http::Response out;
  out.status = status;
  out.content_type = kXml;
  out.body = std::move(body);
  return out;
}

// A request that could not be carried out at all: a ResponseMessage with Result FAILED.
http::Response failed(int status, const cim::Header& h, std::string code, std::string details) {
  cim::Reply reply{cim::ReplyResult::kFailed, {{std::move(code), std::move(details), {}}}};
  return xml_response(status, cim::envelope_open(h, &reply) + cim::envelope_close());
}

// The day's validated 15-minute data of every meter (or one), a page of meters at a time. A
// store error ends the body with a comment and without the envelope's closing tags, so that a
// truncated document can never be taken for a whole one.
class MeterReadingsStream final : public http::Stream {
 public:
  MeterReadingsStream(const Platform& p, tariff::CivilDate day, std::optional<store::MeterInfo> one)
      : p_(p), day_(day), one_(std::move(one)) {}
  bool done() const override { return done_; }
  std::string poll() override {
    if (done_) return {};
    std::string out;
    if (!opened_) {
      cim::Reply ok;
      out = cim::envelope_open(response_header("MeterReadings", p_.clock->now()), &ok) +
            cim::kMeterReadingsOpen;
      opened_ = true;
    }
    auto more = next_page(out);
    if (!more.ok()) {
      logger("api")->warn("CIM meter readings stopped: {}", more.error().describe());
      out += "<!-- meter readings incomplete: the store failed -->\n";
      done_ = true;
    } else if (!*more) {
      out += cim::kMeterReadingsClose;
      out += cim::envelope_close();
      done_ = true;
    }
    return out;
  }

 private:
  Result<bool> next_page(std::string& out) {
    std::vector<store::MeterInfo> meters;
    if (one_) {
      if (offset_ > 0) return false;
      meters.push_back(*one_);
    } else {
      VIDYUT_TRY(page, p_.store->meters(offset_, kMetersPerPoll));
      meters = std::move(*page);
      if (meters.empty()) return false;
    }
    offset_ += meters.size();
    const UtcTime now = p_.clock->now();
    for (const auto& m : meters) {
      VIDYUT_TRY(
          s, mdm::usage_series(*p_.store, p_.vee, m.id, day_, day_, mdm::Resolution::k15Min, now));
      cim::MeterReadingBlock b;
      b.meter = m.serial;
      b.usage_point = m.consumer_id;
      b.from = tariff::ist_midnight(day_);
      b.to = tariff::ist_midnight(tariff::add_days(day_, 1));
      bool any_export = false;
      for (const auto& k : s->buckets) {
        if (k.intervals == 0) continue;  // missing: no value to send
        const UtcTime end = k.start + std::chrono::minutes(15);
        b.import.push_back({end, k.import_wh, k.estimated > 0});
        b.exported.push_back({end, k.export_wh, k.estimated > 0});
        any_export = any_export || k.export_wh != 0;
      }
      if (!any_export) b.exported.clear();
      if (b.import.empty()) continue;
      out += cim::meter_reading(b);
    }
    return true;
  }
  static constexpr std::size_t kMetersPerPoll = 100;
  Platform p_;
  tariff::CivilDate day_;
  std::optional<store::MeterInfo> one_;
  std::size_t offset_ = 0;
  bool opened_ = false;
  bool done_ = false;
};

// Replies to control messages already carried out, by the sender's MessageID (and the actor, so
// that one account never reads another's).
class RememberedReplies {
 public:
  std::optional<std::string> find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = replies_.find(key);
    if (it == replies_.end()) return std::nullopt;
    return it->second;
  }
  void keep(const std::string& key, std::string reply) {
    std::lock_guard lock(mu_);
    if (!replies_.emplace(key, std::move(reply)).second) return;
    order_.push_back(key);
    if (order_.size() > kRememberedControlMessages) {
      replies_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> replies_;
  std::deque<std::string> order_;
};

bool xml_content_type(const http::Request& r) {
  const std::string& t = r.header("content-type");
  const std::string base = t.substr(0, t.find(';'));
  return base == "application/xml" || base == "text/xml";
}

http::Response end_device_controls(const Platform& p, RememberedReplies& remembered,
                                   const http::Request& r, const access::Session& s) {
  const UtcTime now = p.clock->now();
  cim::Header unknown;
  unknown.noun = "EndDeviceControls";
  const cim::Header error_header = cim::reply_header(unknown, now, kSource, message_id());
  if (!xml_content_type(r)) {
    return failed(415, error_header, "2.1", "send the message as application/xml");
  }
  if (p.commands == nullptr) {
    return failed(503, error_header, "2.5", "no command queue on this server");
  }
  auto req = cim::parse_end_device_controls(r.body);
  if (!req.ok()) {
    const Errc c = req.error().code;
    return failed(c == Errc::kLimitExceeded ? 413 : 400, error_header,
                  c == Errc::kUnsupported     ? "2.2"
                  : c == Errc::kLimitExceeded ? "2.3"
                                              : "2.1",
                  req.error().message);
  }
  const cim::Header reply_header = cim::reply_header(req->header, now, kSource, message_id());
  if (req->header.message_id.empty()) {
    return failed(400, reply_header, "2.1", "the Header needs a MessageID");
  }
  const std::string key = s.actor() + "\n" + req->header.message_id;
  if (auto again = remembered.find(key)) {
    return xml_response(200, *again).with_header("X-Repeated-Message", "true");
  }
  cim::Reply reply;
  std::vector<cim::ControlReply> replies;
  std::size_t done = 0, refused = 0;
  for (const auto& c : req->controls) {
    cim::ControlReply cr;
    cr.type_code = c.type_code;
    cr.issuer_tracking_id = c.issuer_tracking_id;
    for (const auto& serial : c.meters) {
      if (!c.action) {
        reply.errors.push_back({"2.2",
                                "EndDeviceControlType " + c.type_code +
                                    " is not carried out (only " + cim::kOpenSwitch + " and " +
                                    cim::kCloseSwitch + ")",
                                serial});
        ++refused;
        continue;
      }
      auto m = p.store->meter_by_serial(serial);
      if (!m.ok()) return error_of(m.error());
      if (!*m) {
        reply.errors.push_back({"2.4", "no meter " + serial, serial});
        ++refused;
        continue;
      }
      std::string reason = c.reason.empty() ? "CIM EndDeviceControls" : c.reason;
      reason += " (message " + req->header.message_id +
                (req->header.source.empty() ? "" : " from " + req->header.source) +
                (c.issuer_tracking_id.empty() ? "" : ", tracking " + c.issuer_tracking_id) + ")";
      auto res = *c.action == cim::SwitchAction::kOpen
                     ? mdm::operator_disconnect(*p.store, *p.commands, *p.clock, (*m)->id,
                                                s.actor(), reason)
                     : mdm::operator_reconnect(*p.store, *p.commands, *p.clock, (*m)->id, s.actor(),
                                               reason);
      if (!res.ok()) {
        reply.errors.push_back({"2.5", res.error().message, serial});
        ++refused;
        continue;
      }
      cim::ControlOutcome o;
      o.meter = serial;
      if (res->command) {
        o.command_id = std::to_string(res->command->id);
      } else {
        std::string who;
        for (const auto& h : res->holds) who += (who.empty() ? "" : ", ") + h.holder;
        o.note = "relay stays open, held by " + who;
      }
      cr.outcomes.push_back(std::move(o));
      ++done;
    }
    replies.push_back(std::move(cr));
  }
  reply.result = refused == 0 ? cim::ReplyResult::kOk
                 : done == 0  ? cim::ReplyResult::kFailed
                              : cim::ReplyResult::kPartial;
  std::string text = cim::envelope_open(reply_header, &reply) +
                     cim::end_device_controls_reply(replies) + cim::envelope_close();
  if (auto a = audit(p, s.actor(), "cim-end-device-controls", req->header.message_id,
                     fmt::format("{}: {} carried out, {} refused", cim::to_string(reply.result),
                                 done, refused));
      !a.ok()) {
    return error_of(a.error());
  }
  remembered.keep(key, text);
  return xml_response(200, std::move(text));
}

http::Response end_device_events(const Platform& p, const http::Request& r) {
  std::int64_t after = 0;
  std::size_t limit = kDefaultEvents;
  try {
    if (auto it = r.params.find("after"); it != r.params.end()) after = std::stoll(it->second);
    if (auto it = r.params.find("limit"); it != r.params.end()) {
      limit = static_cast<std::size_t>(std::stoul(it->second));
    }
  } catch (const std::exception&) {
    return http::error_response(400, "after and limit must be numbers");
  }
  if (after < 0 || limit < 1 || limit > kMaxEventsPerAnswer) {
    return http::error_response(
        400, fmt::format("after >= 0 and limit from 1 to {}", kMaxEventsPerAnswer));
  }
  auto alerts = p.store->alerts_after(after, limit);
  if (!alerts.ok()) return error_of(alerts.error());
  std::map<std::int64_t, std::optional<store::MeterInfo>> meters;
  std::vector<cim::EndDeviceEvent> events;
  std::int64_t last = after;
  for (const auto& a : *alerts) {
    last = a.id;
    cim::EndDeviceEvent e;
    e.mrid = "alert-" + std::to_string(a.id);
    e.type_code = cim::event_type_code(a.kind, a.name, a.active);
    e.created = a.at;
    e.reason = a.kind + " " + a.name + (a.active ? " started" : " ended");
    if (!a.detail.empty()) e.details.emplace_back("detail", a.detail);
    e.details.emplace_back("received", format_iso8601(a.received));
    if (a.meter_id != 0) {
      auto it = meters.find(a.meter_id);
      if (it == meters.end()) {
        auto m = p.store->meter_by_id(a.meter_id);
        if (!m.ok()) return error_of(m.error());
        it = meters.emplace(a.meter_id, std::move(*m)).first;
      }
      if (it->second) {
        e.meter = it->second->serial;
        e.usage_point = it->second->consumer_id;
      }
    }
    events.push_back(std::move(e));
  }
  cim::Reply ok;
  return xml_response(200,
                      cim::envelope_open(response_header("EndDeviceEvents", p.clock->now()), &ok) +
                          cim::end_device_events(events) + cim::envelope_close())
      .with_header("X-Next-After", std::to_string(last));
}

}  // namespace

void add_cim_routes(http::Router& router, const Platform& p) {
  router.add("GET", "/api/v1/cim/meter-readings",
             operator_route(
                 *p.access, Permission::kView, false,
                 [p](const http::Request& r, const http::Match&, const access::Session& s) {
                   auto d = day_param(r, "day", yesterday(p));
                   if (!d.ok()) return error_of(d.error());
                   const tariff::CivilDate day = *d;
                   std::optional<store::MeterInfo> one;
                   if (auto it = r.params.find("meter"); it != r.params.end()) {
                     auto m = p.store->meter_by_serial(it->second);
                     if (!m.ok()) return error_of(m.error());
                     if (!*m) return http::error_response(404, "no meter " + it->second);
                     one = std::move(*m);
                   }
                   const std::string name = tariff::to_string(day);
                   if (auto a = audit(p, s.actor(), "export-cim-meter-readings", "meter-readings",
                                      "IST day " + name + (one ? " meter " + one->serial : ""));
                       !a.ok()) {
                     return error_of(a.error());
                   }
                   http::Response out;
                   out.content_type = kXml;
                   out.stream = std::make_shared<MeterReadingsStream>(p, day, std::move(one));
                   return out;
                 }),
             http::RouteOptions{{"day", "meter"}});
  router.add("GET", "/api/v1/cim/end-device-events",
             operator_route(*p.access, Permission::kView, false,
                            [p](const http::Request& r, const http::Match&,
                                const access::Session&) { return end_device_events(p, r); }),
             http::RouteOptions{{"after", "limit"}});
  auto remembered = std::make_shared<RememberedReplies>();
  router.add("POST", "/api/v1/cim/end-device-controls",
             operator_route(*p.access, Permission::kCommand, true,
                            [p, remembered](const http::Request& r, const http::Match&,
                                            const access::Session& s) {
                              return end_device_controls(p, *remembered, r, s);
                            }));
}

}  // namespace vidyut::api
