#include "http/client.h"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace vidyut::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

Result<Url> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return Error(Errc::kInvalidArgument, "a URL starts with http:// or https://");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  u.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  u.port = colon == std::string::npos ? (u.tls ? "443" : "80") : authority.substr(colon + 1);
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos) {
    return Error(Errc::kInvalidArgument, "bad URL " + url);
  }
  return u;
}

template <typename Stream>
Result<ClientResponse> exchange(Stream& stream, const Url& u, const std::string& content_type,
                                const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, u.target, 11);
  req.set(bhttp::field::host, u.host);
  req.set(bhttp::field::content_type, content_type);
  req.set(bhttp::field::user_agent, "vidyut");
  for (const auto& [n, v] : headers) req.set(n, v);
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  bhttp::write(stream, req, ec);
  if (ec) return Error(ec == beast::error::timeout ? Errc::kTimeout : Errc::kIo, ec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxClientResponse);
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return Error(ec == beast::error::timeout ? Errc::kTimeout : Errc::kIo, ec.message());
  return ClientResponse{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

}  // namespace

Result<ClientResponse> post(const std::string& url, const std::string& content_type,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            Millis deadline) {
  VIDYUT_TRY(u, parse_url(url));
  asio::io_context ioc;
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto found = resolver.resolve(u->host, u->port, ec);
  if (ec) return Error(Errc::kIo, "cannot resolve " + u->host + ": " + ec.message());
  const auto timeout = std::chrono::milliseconds(deadline.count());
  if (!u->tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(found, ec);
    if (ec) return Error(Errc::kIo, "cannot connect to " + u->host + ": " + ec.message());
    auto r = exchange(stream, *u, content_type, body, headers);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return r;
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str())) {
    return Error(Errc::kIo, "TLS: cannot set the server name");
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(u->host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  beast::get_lowest_layer(stream).connect(found, ec);
  if (ec) return Error(Errc::kIo, "cannot connect to " + u->host + ": " + ec.message());
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return Error(Errc::kIo, "TLS with " + u->host + ": " + ec.message());
  return exchange(stream, *u, content_type, body, headers);
}

}  // namespace vidyut::http
