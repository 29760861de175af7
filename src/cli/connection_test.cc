// The CLI's Session releases the association on every way out after associating: an error
// returned after a failed read, an exception unwinding the stack, an HLS refusal after the meter
// accepted the AARQ. A meter that serves one client at a time is otherwise held by a dead tool.
#include "cli/connection.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "cli/reading.h"
#include "cli/test_meter.h"

namespace vidyut::cli {
namespace {

using testing::Line;
using testing::TestMeter;

bool released(const Line& line, std::uint16_t sap) {
  const auto* a = line.server.association(sap);
  return a != nullptr && a->released() && !a->associated() && !a->hls_pending();
}

TEST(CliSession, ReleasesTheAssociationWhenAReadFailsAfterAssociating) {
  TestMeter m;
  Line line(m, dlms::kPublicClientSap);
  dlms::LoopbackTransport* wire = line.transport.get();
  auto session = Session::associate(std::move(line.transport), testing::public_client());
  ASSERT_TRUE(session.ok()) << session.error().describe();
  ASSERT_TRUE(line.server.association(dlms::kPublicClientSap)->associated());
  // The meter stops answering: the read fails as `vidyut dlms read` sees it, and the command
  // returns its error.
  wire->set_silent(true);
  auto r = read_and_format(*(*session)->client, Target{testing::kAnything, 2, 1}, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kTimeout);
  wire->set_silent(false);
  session->reset();  // what leaving run_read() on its error does
  EXPECT_TRUE(released(line, dlms::kPublicClientSap));
}

TEST(CliSession, ReleasesTheAssociationWhenAnExceptionUnwinds) {
  TestMeter m;
  Line line(m, dlms::kPublicClientSap);
  try {
    auto session = Session::associate(std::move(line.transport), testing::public_client());
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE(line.server.association(dlms::kPublicClientSap)->associated());
    throw std::runtime_error("a library threw");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(released(line, dlms::kPublicClientSap));
}

TEST(CliSession, ReleasesWhenHlsFailsAfterTheMeterAcceptedTheAarq) {
  TestMeter m;
  Line line(m, testing::kHlsPlainSap);
  dlms::ClientSettings s;
  s.client_sap = testing::kHlsPlainSap;
  s.auth = dlms::Authentication::kHlsGmac;
  s.client_title = *dlms::security::parse_system_title("5644590000000001");
  s.keys = testing::test_keys();
  s.keys.auth_key[0] ^= 1;  // wrong AK: the AARE accepts, HLS pass 3 is refused
  s.timeout = Millis(50);
  auto session = Session::associate(std::move(line.transport), s);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.error().code, Errc::kAuthFailed);
  EXPECT_TRUE(released(line, testing::kHlsPlainSap));
}

}  // namespace
}  // namespace vidyut::cli
