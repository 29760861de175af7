#include "notices/notices.h"

#include <regex>
#include <set>

#include <fmt/format.h>

#include "billing/ledger.h"
#include "core/log.h"
#include "tariff/calendar.h"

namespace vidyut::notices {
namespace {

// The amounts of billing's English text in order ("Rs 1,234.56", "-Rs 12.00"), written the Hindi
// way ("रु. 1,234.56").
std::vector<std::string> amounts_of(const std::string& english) {
  static const std::regex kAmount(R"((-?)Rs ([0-9,]+\.[0-9]{2}))");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(english.begin(), english.end(), kAmount);
       it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1].str() + "रु. " + (*it)[2].str());
  }
  return out;
}

// "HH:MM IST" of an instant (the SMS reader knows the day).
std::string ist_clock(UtcTime t) {
  const int m = tariff::ist_minute_of_day(t);
  return fmt::format("{:02d}:{:02d}", m / 60, m % 60);
}

std::string tamper_hi(const std::string& name) {
  if (name == "magnet") return "चुंबक";
  if (name == "neutral-disturbance") return "न्यूट्रल में छेड़छाड़";
  if (name == "cover-open") return "मीटर का ढक्कन खुला";
  if (name == "current-reverse") return "उल्टा करंट";
  if (name == "bypass") return "बाईपास";
  return name;
}

}  // namespace

bool for_consumer(const std::string& billing_kind) { return billing_kind != "token-unknown"; }

notify::NoticeText billing_text(const std::string& kind, const std::string& english) {
  notify::NoticeText t{english, ""};
  const auto a = amounts_of(english);
  auto at = [&](std::size_t i) { return i < a.size() ? a[i] : std::string("-"); };
  if (kind == "low-balance") {
    t.hi = english.find("used up") != std::string::npos
               ? "आपका बैलेंस समाप्त हो गया है (" + at(0) + ")। बिजली कटने से बचने के लिए रिचार्ज करें।"
               : "आपका बैलेंस " + at(0) + " है, पिछले रिचार्ज " + at(1) +
                     " का थोड़ा ही बचा है। बिजली कटने से बचने के लिए रिचार्ज करें।";
  } else if (kind == "negative") {
    const auto when = english.find("not before ");
    std::string time;
    if (when != std::string::npos) {
      time = english.substr(when + 11);
      time = time.substr(0, time.find(" unless"));
    }
    t.hi = "बैलेंस " + at(0) + " है। आपातकालीन क्रेडिट पर बिजली जारी है; रिचार्ज न करने पर " + time +
           " के बाद बिजली कट सकती है।";
  } else if (kind == "disconnect") {
    t.hi = "बैलेंस " + at(0) +
           " होने के कारण बिजली काट दी गई है। रिचार्ज करें; बिजली कुछ ही सेकंड में अपने आप जुड़ "
           "जाएगी।";
  } else if (kind == "reconnect") {
    t.hi = "बिजली फिर से जोड़ दी गई है: बैलेंस " + at(0) + "।";
  } else if (kind == "recharge" || kind == "payment") {
    t.hi = (kind == "recharge" ? "रिचार्ज " : "भुगतान ") + at(0) + " प्राप्त हुआ। " + english;
  }
  if (t.hi.size() > notify::kMaxSmsText) t.hi.clear();  // English, rather than cut short
  return t;
}

std::vector<AlertNotice> alert_notices(const store::Alert& a, const mdm::Network& network,
                                       const std::map<std::int64_t, std::string>& consumer_of) {
  std::vector<AlertNotice> out;
  auto consumer = [&](std::int64_t meter) -> const std::string* {
    auto it = consumer_of.find(meter);
    return it == consumer_of.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (a.kind == "supply" && (a.name == "dt-outage" || a.name == "feeder-outage")) {
    // A DT outage inside its feeder's outage is told by the feeder's.
    if (a.detail.find("(its feeder is out)") != std::string::npos) return out;
    std::vector<const mdm::DtNode*> dts;
    std::string where;
    for (std::size_t f = 0; f < network.feeders.size(); ++f) {
      const auto& feeder = network.feeders[f];
      if (a.name == "feeder-outage" && feeder.meter_id == a.meter_id && a.meter_id != 0) {
        for (std::size_t d : feeder.dts) dts.push_back(&network.dts[d]);
        where = "feeder " + feeder.name;
      }
    }
    if (a.name == "dt-outage") {
      for (const auto& d : network.dts) {
        if (d.meter_id == a.meter_id && a.meter_id != 0) {
          dts.push_back(&d);
          where = "transformer " + d.name;
        }
      }
    }
    const std::string at = ist_clock(a.at);
    notify::NoticeText text =
        a.active ? notify::NoticeText{"Power is off in your area (" + where + ") since " + at +
                                          " IST. We are working to restore it.",
                                      "आपके क्षेत्र (" + where + ") में " + at +
                                          " बजे से बिजली बंद है। इसे जल्द बहाल करने का काम चल "
                                          "रहा है।"}
                 : notify::NoticeText{
                       "Power is restored in your area (" + where + ") since " + at + " IST.",
                       "आपके क्षेत्र (" + where + ") में " + at + " बजे बिजली बहाल हो गई है।"};
    for (const auto* d : dts) {
      for (std::int64_t m : d->consumers) {
        if (const auto* c = consumer(m)) {
          out.push_back(AlertNotice{*c, a.active ? "outage" : "restored", text});
        }
      }
    }
    return out;
  }
  if (a.kind == "tamper" && a.active) {
    if (const auto* c = consumer(a.meter_id)) {
      const std::string at = ist_clock(a.at);
      out.push_back(AlertNotice{
          *c, "tamper",
          notify::NoticeText{"Your meter recorded a tamper event (" + a.name + ") at " + at +
                                 " IST. If you did not cause it, call your electricity office.",
                             "आपके मीटर ने " + at + " बजे छेड़छाड़ (" + tamper_hi(a.name) +
                                 ") दर्ज की है। यदि यह आपने नहीं किया, तो अपने बिजली कार्यालय "
                                 "से संपर्क करें।"}});
    }
  }
  return out;
}

Status NoticeFeed::refresh_network() {
  VIDYUT_TRY(meters, mdm::all_meters(store_));
  network_ = mdm::build_network(*meters);
  consumer_of_.clear();
  for (const auto& m : *meters) {
    if (!m.consumer_id.empty()) consumer_of_[m.id] = m.consumer_id;
  }
  network_read_ = clock_.now();
  return ok_status();
}

Status NoticeFeed::follow_billing(Round& r) {
  if (billing_ == nullptr) return ok_status();
  VIDYUT_TRY(cursor, notifier_.cursor("billing"));
  if (*cursor == 0) {
    // First run: from the latest on.
    std::int64_t last = 0;
    while (true) {
      VIDYUT_TRY(page, billing_->notifications_after(last, kMaxNoticeRound));
      if (page->empty()) break;
      last = page->back().id;
    }
    return notifier_.set_cursor("billing", last == 0 ? -1 : last);
  }
  VIDYUT_TRY(page,
             billing_->notifications_after(std::max<std::int64_t>(*cursor, 0), kMaxNoticeRound));
  if (page->empty()) return ok_status();
  for (const auto& n : *page) {
    ++r.billing_read;
    if (!for_consumer(n.kind)) continue;
    if (!account_consumer_.contains(n.account_id)) {
      VIDYUT_TRY(accounts, billing_->accounts());
      for (const auto& a : *accounts) account_consumer_[a.id] = a.consumer_id;
    }
    auto it = account_consumer_.find(n.account_id);
    if (it == account_consumer_.end()) continue;
    VIDYUT_TRY(q, notifier_.enqueue(it->second, n.kind, billing_text(n.kind, n.text),
                                    "billing:" + std::to_string(n.id)));
    r.queued += q->created ? 1 : 0;
  }
  return notifier_.set_cursor("billing", page->back().id);
}

Status NoticeFeed::follow_alerts(Round& r) {
  VIDYUT_TRY(cursor, notifier_.cursor("alerts"));
  if (*cursor == 0) {
    VIDYUT_TRY(latest, store_.alerts_before(INT64_MAX, 1));
    return notifier_.set_cursor("alerts", latest->empty() ? -1 : latest->front().id);
  }
  VIDYUT_TRY(page, store_.alerts_after(std::max<std::int64_t>(*cursor, 0), kMaxNoticeRound));
  if (page->empty()) return ok_status();
  const UtcTime now = clock_.now();
  for (const auto& a : *page) {
    ++r.alerts_read;
    if (now - a.at > kStaleAlert) continue;
    if (!(a.kind == "supply" || a.kind == "tamper")) continue;
    // The registry is read again every 10 minutes, or sooner (at most once a minute) for a tamper
    // event of a meter it did not know: a DT meter's events never cost a read each.
    const Millis age = now - network_read_;
    if (network_read_ == UtcTime{} || age > std::chrono::minutes(10) ||
        (a.kind == "tamper" && !consumer_of_.contains(a.meter_id) &&
         age > std::chrono::minutes(1))) {
      VIDYUT_CHECK(refresh_network());
    }
    for (const auto& n : alert_notices(a, network_, consumer_of_)) {
      VIDYUT_TRY(q, notifier_.enqueue(n.consumer_id, n.kind, n.text,
                                      "alert:" + std::to_string(a.id) + ":" + n.consumer_id));
      r.queued += q->created ? 1 : 0;
    }
  }
  return notifier_.set_cursor("alerts", page->back().id);
}

Result<NoticeFeed::Round> NoticeFeed::run_once() {
  Round r;
  VIDYUT_CHECK(follow_billing(r));
  VIDYUT_CHECK(follow_alerts(r));
  auto d = notifier_.deliver_due();
  if (d.ok()) {
    r.delivery = *d;
  } else if (d.error().code != Errc::kUnsupported) {
    return d.error();
  }
  return r;
}

}  // namespace vidyut::notices
