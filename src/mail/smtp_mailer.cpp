#include "mail/smtp_mailer.hpp"

#include <curl/curl.h>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "core/error.hpp"
#include "mail/blocking.hpp"

namespace parley::mail {
namespace {

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// The message being uploaded, handed to libcurl's read callback.
struct Upload {
  std::string_view rest;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_easy_cleanup(handle); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

AppError send_failure(std::string internal) {
  return AppError::unavailable("Email could not be sent; try again later.", std::move(internal), 30);
}

}  // namespace

SmtpServer parse_smtp_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) throw std::invalid_argument("the SMTP URL is not a URL (expected smtp://host:port or smtps://...)");
  boost::urls::url_view url = *parsed;
  SmtpServer server;
  if (url.scheme() == "smtps") {
    server.implicit_tls = true;
  } else if (url.scheme() != "smtp") {
    throw std::invalid_argument("the SMTP URL must start with smtp:// or smtps://");
  }
  if (!url.has_authority() || url.host().empty()) throw std::invalid_argument("the SMTP URL has no host");
  if (!url.path().empty() && url.path() != "/") throw std::invalid_argument("the SMTP URL may not have a path");
  if (url.has_fragment()) throw std::invalid_argument("the SMTP URL may not have a fragment");
  server.host = std::string(url.encoded_host_address());
  server.url = std::string(url.scheme()) + "://" + std::string(url.encoded_host_and_port());
  if (url.has_userinfo()) {
    server.username = url.user();
    server.password = url.password();
  }
  for (auto param : url.params()) {
    if (param.key == "starttls" && !server.implicit_tls) {
      if (param.value == "required") {
        server.starttls = StartTls::required;
      } else if (param.value == "try") {
        server.starttls = StartTls::try_upgrade;
      } else if (param.value == "never") {
        server.starttls = StartTls::never;
      } else {
        throw std::invalid_argument("the SMTP URL's starttls must be required, try or never");
      }
    } else {
      throw std::invalid_argument("the SMTP URL has an unknown parameter '" + std::string(param.key) +
                                  "' (smtp:// accepts starttls=required|try|never, smtps:// none)");
    }
  }
  bool surely_tls = server.implicit_tls || server.starttls == StartTls::required;
  if (!server.username.empty() && !surely_tls && !is_loopback(server.host)) {
    throw std::invalid_argument(
        "the SMTP URL sends credentials that could travel in clear text: use smtps:// or ?starttls=required");
  }
  return server;
}

SmtpMailer::SmtpMailer(Options options)
    : server_(parse_smtp_url(options.url)),
      from_(parse_from_address(options.from)),
      timeout_(options.timeout),
      pool_(options.threads == 0 ? 1 : options.threads) {
  if (options.threads == 0) throw std::invalid_argument("the SMTP pool needs at least one thread");
  if (timeout_.count() <= 0) throw std::invalid_argument("the SMTP timeout must be positive");
  // Reference-counted by libcurl; paired with curl_global_cleanup() in the destructor.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  bool has_smtp = false;
  for (const char* const* protocol = info->protocols; *protocol != nullptr; ++protocol) {
    if (std::strcmp(*protocol, server_.implicit_tls ? "smtps" : "smtp") == 0) has_smtp = true;
  }
  if (!has_smtp) {
    curl_global_cleanup();
    throw std::runtime_error("this libcurl cannot speak " + std::string(server_.implicit_tls ? "smtps" : "smtp"));
  }
}

SmtpMailer::~SmtpMailer() {
  // Let queued and running sends finish: their coroutines reference this object.
  pool_.join();
  curl_global_cleanup();
}

boost::asio::awaitable<void> SmtpMailer::send(Email email) {
  validate_email(email);
  // A named local, not a temporary in the co_await expression (GCC 12; see blocking.hpp).
  auto job = [this, email = std::move(email)] { send_blocking(email); };
  co_await run_blocking(pool_, std::move(job));
}

void SmtpMailer::send_blocking(const Email& email) const {
  std::string message = render_message(email, from_,
                                       {.date = std::chrono::system_clock::now(),
                                        .message_id = make_message_id(from_),
                                        .encoding = BodyEncoding::quoted_printable});
  std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
  if (!handle) throw send_failure("smtp: curl_easy_init failed");
  std::unique_ptr<curl_slist, ListDeleter> recipients(curl_slist_append(nullptr, ("<" + email.to + ">").c_str()));
  if (!recipients) throw send_failure("smtp: out of memory");

  CURL* curl = handle.get();
  Upload upload{message};
  char error[CURL_ERROR_SIZE] = {};
  std::string mail_from = "<" + from_.address + ">";
  long use_ssl = CURLUSESSL_NONE;
  if (server_.implicit_tls || server_.starttls == StartTls::required) {
    use_ssl = CURLUSESSL_ALL;
  } else if (server_.starttls == StartTls::try_upgrade) {
    use_ssl = CURLUSESSL_TRY;
  }

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_URL, server_.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_PROXY, "");     // never through a proxy from the environment (all_proxy)
  set(CURLOPT_NOSIGNAL, 1L);  // we are on a pool thread; no SIGALRM-based DNS timeouts
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  set(CURLOPT_USE_SSL, use_ssl);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!server_.username.empty()) {
    set(CURLOPT_USERNAME, server_.username.c_str());
    set(CURLOPT_PASSWORD, server_.password.c_str());
  }
  set(CURLOPT_MAIL_FROM, mail_from.c_str());
  set(CURLOPT_MAIL_RCPT, recipients.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_READFUNCTION, &read_upload);
  set(CURLOPT_READDATA, &upload);
  if (rc != CURLE_OK) throw send_failure(std::string("smtp: curl_easy_setopt: ") + curl_easy_strerror(rc));

  rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    std::string detail = "smtp " + server_.url + ": " + curl_easy_strerror(rc);
    if (error[0] != '\0') detail += std::string(" (") + error + ")";
    if (reply != 0) detail += "; last reply " + std::to_string(reply);
    throw send_failure(std::move(detail));
  }
}

}  // namespace parley::mail
