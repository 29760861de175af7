#include "api/exports.h"

#include <fmt/format.h>

#include "billing/ledger.h"
#include "core/log.h"
#include "tariff/calendar.h"

namespace vidyut::api {

std::string csv_field(std::string_view text) {
  const bool formula =
      !text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@');
  std::string v = formula ? "'" : "";
  v += text;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

// An export that stops at its first error: the error is logged and the body ends with a line
// that says so, so that a truncated file is never taken for a whole one.
class PagedCsv : public http::Stream {
 public:
  bool done() const override { return done_; }
  std::string poll() override {
    if (done_) return {};
    std::string out;
    if (!header_sent_) {
      out = header();
      header_sent_ = true;
    }
    auto page = next_page(out);
    if (!page.ok()) {
      logger("api")->warn("export stopped: {}", page.error().describe());
      out += "# export incomplete: " + page.error().message + "\n";
      done_ = true;
    } else if (!*page) {
      done_ = true;
    }
    return out;
  }

 protected:
  virtual std::string header() const = 0;
  // Appends the next page to `out`; false when there was nothing left.
  virtual Result<bool> next_page(std::string& out) = 0;

 private:
  bool header_sent_ = false;
  bool done_ = false;
};

class ReadingsCsv final : public PagedCsv {
 public:
  ReadingsCsv(store::Store& store, UtcTime from, UtcTime to)
      : store_(store), from_(from), to_(to) {}

 private:
  std::string header() const override {
    return "serial,consumer_id,feeder,dt,start_utc,start_ist,import_wh,import_vah,export_wh,"
           "export_vah,source\n";
  }
  Result<bool> next_page(std::string& out) override {
    VIDYUT_TRY(meters, store_.meters(offset_, kExportPage));
    if (meters->empty()) return false;
    offset_ += meters->size();
    for (const auto& m : *meters) {
      VIDYUT_TRY(rows, store_.intervals(m.id, from_, to_));
      const std::string who =
          fmt::format("{},{},{},{}", csv_field(m.serial), csv_field(m.consumer_id),
                      csv_field(m.feeder), csv_field(m.dt));
      for (const auto& r : *rows) {
        out += fmt::format("{},{},{},{},{},{},{},{}\n", who, format_iso8601(r.start),
                           tariff::format_ist(r.start), r.import_wh, r.import_vah, r.export_wh,
                           r.export_vah,
                           r.source == store::IntervalReading::Source::kPush ? "push" : "read");
      }
    }
    return true;
  }
  store::Store& store_;
  UtcTime from_, to_;
  std::size_t offset_ = 0;
};

class BillsCsv final : public PagedCsv {
 public:
  BillsCsv(billing::BillingDb& db, std::string month) : db_(db), month_(std::move(month)) {}

 private:
  std::string header() const override {
    return "consumer_id,meter_serial,month,kind,bill_paise,posted_paise,adjustment_paise,"
           "issued_utc\n";
  }
  Result<bool> next_page(std::string& out) override {
    if (!loaded_) {
      VIDYUT_TRY(all, db_.accounts());
      accounts_ = std::move(*all);
      loaded_ = true;
    }
    if (next_ >= accounts_.size()) return false;
    const std::size_t end = std::min(accounts_.size(), next_ + kExportPage);
    for (; next_ < end; ++next_) {
      const auto& a = accounts_[next_];
      VIDYUT_TRY(sts, db_.statements(a.id));
      for (const auto& s : *sts) {
        if (s.month != month_) continue;
        out += fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(a.consumer_id),
                           csv_field(a.meter_serial), s.month, csv_field(s.kind), s.bill_total,
                           s.posted, s.adjustment, format_iso8601(s.issued));
      }
    }
    return true;
  }
  billing::BillingDb& db_;
  std::string month_;
  bool loaded_ = false;
  std::vector<billing::Account> accounts_;
  std::size_t next_ = 0;
};

}  // namespace

std::shared_ptr<http::Stream> readings_csv(store::Store& store, UtcTime from, UtcTime to) {
  return std::make_shared<ReadingsCsv>(store, from, to);
}

std::shared_ptr<http::Stream> bills_csv(billing::BillingDb& db, std::string month) {
  return std::make_shared<BillsCsv>(db, std::move(month));
}

}  // namespace vidyut::api
