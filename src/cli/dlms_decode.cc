// `vidyut dlms decode HEX`: pretty-prints an APDU or a wrapper frame; deciphers with keys.
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/bytes.h"
#include "dlms/apdu/apdu.h"
#include "dlms/apdu/wrapper.h"
#include "dlms/security/suite0.h"

namespace vidyut::cli {
namespace {

struct DecodeOptions {
  std::string hex;
  std::string system_title;  // the sender's, for glo-ciphered APDUs (0xDB carries its own)
  std::string auth_key;
  std::string block_key;
};

std::string env_or(const std::string& given, const char* name) {
  if (!given.empty()) return given;
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// Prints one APDU; deciphers it when it is ciphered and keys are at hand.
Status print_apdu(ByteView apdu, const DecodeOptions& o, int depth) {
  VIDYUT_TRY(decoded, dlms::decode_apdu(apdu));
  std::cout << dlms::describe(*decoded) << "\n";
  const auto* c = std::get_if<dlms::CipheredApdu>(&*decoded);
  if (c == nullptr) return ok_status();
  const std::string ak = env_or(o.auth_key, kEnvAuthKey);
  const std::string ek = env_or(o.block_key, kEnvBlockKey);
  if (ak.empty() && ek.empty()) {
    std::cout << "(ciphered: pass --auth-key/--block-key and the sender's --system-title to "
                 "decipher)\n";
    return ok_status();
  }
  // Ciphered APDUs nest at most once (general-glo around glo); more is not a real APDU.
  constexpr int kMaxCipherDepth = 2;
  if (depth >= kMaxCipherDepth) return Error(Errc::kMalformed, "ciphering nested too deep");
  dlms::security::SecurityKeys keys;
  if (!ak.empty()) {
    VIDYUT_TRY(k, dlms::security::parse_key(ak));
    keys.auth_key = *k;
  }
  if (!ek.empty()) {
    VIDYUT_TRY(k, dlms::security::parse_key(ek));
    keys.block_key = *k;
  }
  dlms::security::SystemTitle title{};
  if (c->system_title) {
    VIDYUT_TRY(t, dlms::security::system_title_from_bytes(*c->system_title));
    title = *t;
  } else if (!o.system_title.empty()) {
    VIDYUT_TRY(t, dlms::security::parse_system_title(o.system_title));
    title = *t;
  } else {
    return Error(Errc::kInvalidArgument,
                 "glo-ciphered APDU: pass the sender's --system-title to decipher it");
  }
  Bytes sealed = dlms::security_header(c->security_control, c->invocation_counter);
  sealed.insert(sealed.end(), c->payload.begin(), c->payload.end());
  VIDYUT_TRY(opened, dlms::security::open(title, keys, sealed));
  std::cout << "deciphered (SC " << to_hex(ByteView(&opened->security_control, 1)) << ", IC "
            << opened->invocation_counter << "), inner APDU " << to_hex(opened->plaintext) << ":\n";
  return print_apdu(opened->plaintext, o, depth + 1);
}

int run_decode(const DecodeOptions& o) {
  auto bytes = from_hex(o.hex);
  if (!bytes.ok()) return report_error("decode", bytes.error());
  ByteView apdu = *bytes;
  // A wrapper frame starts with version 0x0001 and its length field matches the rest.
  if (apdu.size() >= dlms::kWrapperHeaderSize && apdu[0] == 0x00 && apdu[1] == 0x01) {
    const std::size_t length = (std::size_t{apdu[6]} << 8) | apdu[7];
    if (length == apdu.size() - dlms::kWrapperHeaderSize) {
      std::cout << "wrapper: version 1, source wPort " << ((apdu[2] << 8) | apdu[3])
                << ", destination wPort " << ((apdu[4] << 8) | apdu[5]) << ", length " << length
                << "\n";
      apdu = apdu.subspan(dlms::kWrapperHeaderSize);
    }
  }
  auto st = print_apdu(apdu, o, 0);
  if (!st.ok()) return report_error("decode", st.error());
  return kExitOk;
}

}  // namespace

void register_dlms_decode(CLI::App& dlms, Runner& run) {
  auto o = std::make_shared<DecodeOptions>();
  auto* cmd = dlms.add_subcommand("decode", "Pretty-print an APDU or wrapper frame given in hex");
  cmd->add_option("hex", o->hex, "APDU or wrapper frame, hex (spaces allowed)")->required();
  cmd->add_option("--system-title", o->system_title,
                  "Sender's system title (16 hex digits) for glo-ciphered APDUs");
  cmd->add_option("--auth-key", o->auth_key, "AK, 32 hex digits (or $VIDYUT_AUTH_KEY)");
  cmd->add_option("--block-key", o->block_key, "EK, 32 hex digits (or $VIDYUT_BLOCK_KEY)");
  cmd->callback([o, &run] { run = [o] { return run_decode(*o); }; });
}

}  // namespace vidyut::cli
