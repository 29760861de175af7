// Benchmarks of the DLMS/COSEM stack: the per-reading costs a head end pays for every meter.
// Run: build/release/bench/dlms_bench   (results and machine in bench/RESULTS.md)
#include <benchmark/benchmark.h>

#include <memory>

#include "core/clock.h"
#include "core/log.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "dlms/cosem/is15959.h"
#include "dlms/security/suite0.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "dlms/session/server.h"
#include "meter/single_phase.h"

namespace {

using namespace vidyut;
using namespace vidyut::dlms;

// 45 days of 15-minute single-phase block load as a meter sends it: array of 4,320 structures
// {date-time octet-string, voltage, kWh, kVAh, kWh export, kVAh export, current}.
Data block_load_45_days() {
  DataList rows;
  const UtcTime start = UtcTime(Millis(1'795'000'000'000));
  for (int i = 0; i < 45 * 96; ++i) {
    auto t = start + Millis(std::int64_t{i} * 900'000);
    rows.push_back(Data::structure({Data::date_time_octets(CosemDateTime::from_utc(t)),
                                    Data::long_unsigned(23'140), Data::long_unsigned(120),
                                    Data::long_unsigned(131), Data::long_unsigned(0),
                                    Data::long_unsigned(0), Data::long_unsigned(212)}));
  }
  return Data::array(std::move(rows));
}

void BM_AxdrDecodeBlockLoad45Days(benchmark::State& state) {
  const Bytes wire = axdr::encode(block_load_45_days());
  for (auto _ : state) {
    auto value = axdr::decode_all(wire);
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 45 * 96,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AxdrDecodeBlockLoad45Days)->Unit(benchmark::kMillisecond);

void BM_AxdrEncodeBlockLoad45Days(benchmark::State& state) {
  const Data value = block_load_45_days();
  for (auto _ : state) {
    Bytes wire = axdr::encode(value);
    benchmark::DoNotOptimize(wire);
  }
}
BENCHMARK(BM_AxdrEncodeBlockLoad45Days)->Unit(benchmark::kMillisecond);

void BM_Suite0SealOpen(benchmark::State& state) {
  security::SecurityKeys keys;
  keys.block_key.fill(0x11);
  keys.auth_key.fill(0x22);
  security::SystemTitle title{'V', 'D', 'Y', 0, 0, 0, 0, 1};
  const Bytes plain(static_cast<std::size_t>(state.range(0)), 0x5A);
  std::uint32_t ic = 1;
  for (auto _ : state) {
    auto sealed = security::seal(0x30, title, ic, keys, plain);
    auto opened = security::open(title, keys, *sealed);
    benchmark::DoNotOptimize(opened);
    ++ic;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * plain.size()));
}
BENCHMARK(BM_Suite0SealOpen)->Arg(64)->Arg(1024);

void BM_WrapperReassemble(benchmark::State& state) {
  // A 1 KiB APDU arriving in 100-byte TCP segments.
  const Bytes frame = wrap(1, 16, Bytes(1024, 0xAB));
  for (auto _ : state) {
    WrapperDecoder decoder;
    for (std::size_t pos = 0; pos < frame.size(); pos += 100) {
      decoder.feed(ByteView(frame).subspan(pos, std::min<std::size_t>(100, frame.size() - pos)));
    }
    auto f = decoder.next();
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_WrapperReassemble);

// A whole read as the head end will do it, minus TCP: associate as the meter reader (LLS), read
// one day of block load by range (block transfer at a 1 KiB PDU), release. Measures client,
// server and simulated-meter cost together.
void BM_ReadOneDayBlockLoadLoopback(benchmark::State& state) {
  set_log_level("off");
  ManualClock clock(UtcTime(Millis(1'795'000'000'000)));
  meter::SinglePhaseMeter meter(meter::make_identity("VDY", "00012345", 7), meter::MeterConfig{},
                                clock);
  const meter::MeterSecrets secrets = meter::default_secrets();
  security::SecurityKeys keys;
  keys.block_key = secrets.encryption_key;
  keys.auth_key = secrets.authentication_key;
  const ServerSettings settings = ServerSettings::is15959_defaults(
      meter.meter().identity().system_title, secrets.lls_password, keys);
  const auto to = CosemDateTime::from_utc(clock.now());
  const auto from = CosemDateTime::from_utc(clock.now() - Millis(86'400'000));
  std::size_t rows = 0;
  for (auto _ : state) {
    InMemoryInvocationCounterStore counters;
    ServerConnection connection(settings, meter.device(), counters, clock);
    LoopbackTransport transport(connection, kMeterReaderSap);
    ClientSettings cs;
    cs.client_sap = kMeterReaderSap;
    cs.auth = Authentication::kLow;
    cs.password = secrets.lls_password;
    Client client(transport, cs);
    if (!client.associate().ok()) state.SkipWithError("associate failed");
    auto result = client.get({7, is15959::kBlockLoadProfile, 2}, make_range_access(from, to));
    if (!result.ok()) state.SkipWithError("read failed");
    if (const auto* d = std::get_if<Data>(&*result)) rows += d->as_list()->size();
    (void)client.release();
  }
  state.counters["rows/read"] = static_cast<double>(rows) /
                                static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
}
BENCHMARK(BM_ReadOneDayBlockLoadLoopback)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
