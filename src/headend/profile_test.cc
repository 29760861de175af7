// Decoding what meters push: block-load rows by the meter kind's column layout, alert pushes'
// ESW, and the alerts an ESW change raises.
#include "headend/profile.h"

#include <gtest/gtest.h>

#include "dlms/cosem/is15959.h"

namespace vidyut::headend {
namespace {

namespace is = dlms::is15959;
using dlms::Data;

const UtcTime kT = UtcTime(Millis(1'789'929'000'000));  // 00:00 IST

std::array<std::uint8_t, 16> esw_with(std::initializer_list<unsigned> bits) {
  std::array<std::uint8_t, 16> e{};
  for (unsigned b : bits) e[b / 8] |= static_cast<std::uint8_t>(0x80u >> (b % 8));
  return e;
}

Data single_phase_row(UtcTime stamp, std::uint32_t wh, std::uint32_t vah) {
  // Clock, average voltage, average current, import Wh, import VAh (IS 15959 single phase
  // block load; see is::block_load_single_phase()).
  dlms::DataList cells;
  for (const auto& col : is::block_load_single_phase()) {
    if (col.logical_name == is::kClock) {
      cells.push_back(Data::date_time_octets(dlms::CosemDateTime::from_utc(stamp)));
    } else if (col.logical_name == is::kBlockImportKwh) {
      cells.push_back(Data::double_long_unsigned(wh));
    } else if (col.logical_name == is::kBlockImportKvah) {
      cells.push_back(Data::double_long_unsigned(vah));
    } else {
      cells.push_back(Data::long_unsigned(0));
    }
  }
  return Data::structure(std::move(cells));
}

TEST(Profile, DecodesSinglePhaseRowsAndAlignsTheirStart) {
  const auto layout = block_layout_for_kind("single-phase");
  ASSERT_TRUE(layout.import_wh.has_value());
  const Data rows = Data::array({single_phase_row(kT + Millis(2'000), 120, 130),
                                 single_phase_row(kT + Millis(900'000), 95, 101)});
  auto r = decode_block_rows(rows, layout, {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].start, kT);  // a meter clock two seconds late still names its interval
  EXPECT_EQ((*r)[0].import_wh, 120);
  EXPECT_EQ((*r)[0].import_vah, 130);
  EXPECT_EQ((*r)[1].start, kT + Millis(900'000));
  // Stamped at the interval's end: the same row is the interval before.
  RowOptions end;
  end.stamp_at_end = true;
  auto e = decode_block_rows(rows, layout, end);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[1].start, kT);
}

TEST(Profile, RejectsRowsThatDoNotFitTheLayout) {
  const auto layout = block_layout_for_kind("single-phase");
  EXPECT_FALSE(decode_block_rows(Data::long_unsigned(3), layout, {}).ok());
  EXPECT_FALSE(
      decode_block_rows(Data::array({Data::structure({Data::long_unsigned(1)})}), layout, {}).ok());
  // A negative energy is not a count.
  dlms::DataList cells = *single_phase_row(kT, 1, 1).as_list();
  cells[*layout.import_wh] = Data::double_long(-5);
  EXPECT_FALSE(decode_block_rows(Data::array({Data::structure(cells)}), layout, {}).ok());
  // More rows than any meter should send at once.
  dlms::DataList many(kMaxRowsPerRead + 1, single_phase_row(kT, 1, 1));
  auto r = decode_block_rows(Data::array(std::move(many)), layout, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kLimitExceeded);
}

TEST(Profile, TamperBitsRaiseAndEndAlertsOnEdges) {
  const auto none = esw_with({});
  const auto magnet = esw_with({is::esw::kMagnet});
  auto a = esw_alerts(7, none, magnet, kT, kT);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, "tamper");
  EXPECT_EQ(a[0].name, "magnet");
  EXPECT_TRUE(a[0].active);
  EXPECT_EQ(a[0].meter_id, 7);
  EXPECT_TRUE(esw_alerts(7, magnet, magnet, kT, kT).empty());  // still on: nothing new
  auto ended = esw_alerts(7, magnet, none, kT, kT);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_FALSE(ended[0].active);
}

TEST(Profile, PulseBitsRaiseAnAlertOnEveryPushThatCarriesThem) {
  const auto relay = esw_with({is::esw::kRelayStateChanged});
  // Disconnect and then reconnect: two pushes in a row with bit 84 set are two events.
  EXPECT_EQ(esw_alerts(1, esw_with({}), relay, kT, kT).size(), 1u);
  auto again = esw_alerts(1, relay, relay, kT + Millis(60'000), kT);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].kind, "relay");
  // Clearing a pulse bit is not an event.
  EXPECT_TRUE(esw_alerts(1, relay, esw_with({}), kT, kT).empty());
  auto gasp = esw_alerts(1, esw_with({}), esw_with({is::esw::kLastGasp}), kT, kT);
  ASSERT_EQ(gasp.size(), 1u);
  EXPECT_EQ(gasp[0].name, "last-gasp");
  EXPECT_EQ(gasp[0].kind, "outage");
}

TEST(Profile, AlertPushCarriesTimeAndEsw) {
  dlms::BitString bits = dlms::BitString::of_size(128);
  bits.set(is::esw::kCoverOpen);
  dlms::DataNotification n;
  n.body = Data::structure(
      {Data::octet_string(Bytes{'V', 'D', 'Y'}), Data::octet_string(is::kAlertPush.to_bytes()),
       Data::date_time_octets(dlms::CosemDateTime::from_utc(kT)), Data::bit_string(bits)});
  auto p = decode_push(n, block_layout_for_kind("single-phase"), {});
  ASSERT_TRUE(p.ok()) << p.error().describe();
  EXPECT_EQ(p->kind, PushContent::Kind::kAlert);
  EXPECT_EQ(p->at, kT);
  EXPECT_TRUE(esw_test(p->esw, is::esw::kCoverOpen));
  EXPECT_FALSE(esw_test(p->esw, is::esw::kMagnet));
}

TEST(Profile, TokenLogRowsAreKeyedByTheirTimeAndSequence) {
  const ProfileSpec& spec = token_log_profile();
  EXPECT_EQ(spec.name, "tokens");
  EXPECT_EQ(spec.obis.to_string(), "0.128.99.98.0.255");
  const Data row1 = Data::structure({Data::date_time_octets(dlms::CosemDateTime::from_utc(kT)),
                                     Data::long_unsigned(7), Data::double_long_unsigned(500)});
  const Data row2 =
      Data::structure({Data::date_time_octets(dlms::CosemDateTime::from_utc(kT + Millis(60'000))),
                       Data::long_unsigned(65'535), Data::double_long_unsigned(50'000)});
  auto rows = profile_rows_of(42, spec, Data::array({row1, row2}));
  ASSERT_TRUE(rows.ok()) << rows.error().describe();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].meter_id, 42);
  EXPECT_EQ((*rows)[0].profile, "tokens");
  EXPECT_EQ((*rows)[0].captured, kT);
  EXPECT_EQ((*rows)[0].code, 7);
  EXPECT_EQ((*rows)[1].code, 65'535);
  const Bytes enc = dlms::axdr::encode(row1);
  EXPECT_EQ((*rows)[0].data, std::vector<std::uint8_t>(enc.begin(), enc.end()));
  // A row without a sequence is not a token log row.
  const Data bad = Data::structure({Data::date_time_octets(dlms::CosemDateTime::from_utc(kT))});
  EXPECT_EQ(profile_rows_of(42, spec, Data::array({bad})).error().code, Errc::kMalformed);
}

}  // namespace
}  // namespace vidyut::headend
