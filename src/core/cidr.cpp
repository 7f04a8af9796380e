#include "core/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace parley {

namespace {

constexpr std::uint64_t kMappedPrefix = 0x0000'ffffULL;  // ::ffff:0:0/96, bits 64-95 of the address

// The 128-bit mask of a prefix length (0..128), left-aligned like the addresses.
std::array<std::uint64_t, 2> mask_of(int prefix) noexcept {
  auto part = [](int bits) -> std::uint64_t {
    if (bits <= 0) return 0;
    if (bits >= 64) return ~std::uint64_t{0};
    return ~std::uint64_t{0} << (64 - bits);
  };
  return {part(prefix), part(prefix - 64)};
}

// Dotted quad, strictly: four decimal octets 0-255 of 1-3 digits without leading zeros.
std::optional<std::uint32_t> parse_v4(std::string_view text) {
  std::uint32_t value = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (text.empty() || text.front() != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 3 || (digits > 1 && text.front() == '0')) return std::nullopt;
    unsigned part = 0;
    std::from_chars(text.data(), text.data() + digits, part);
    if (part > 255) return std::nullopt;
    value = (value << 8) | part;
    text.remove_prefix(digits);
  }
  if (!text.empty()) return std::nullopt;
  return value;
}

IpAddress v4_address(std::uint32_t value) {
  return IpAddress{.family = IpFamily::v4, .bits = {std::uint64_t{value} << 32, 0}};
}

// IPv6 text through inet_pton (RFC 4291 forms, an embedded dotted quad included); no zone id.
std::optional<IpAddress> parse_v6(std::string_view text) {
  if (text.size() > INET6_ADDRSTRLEN || text.find(':') == std::string_view::npos) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN + 1];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  unsigned char raw[16];
  if (inet_pton(AF_INET6, buffer, raw) != 1) return std::nullopt;
  IpAddress address{.family = IpFamily::v6, .bits = {0, 0}};
  for (int i = 0; i < 16; ++i) address.bits[i / 8] = (address.bits[i / 8] << 8) | raw[i];
  return address;
}

bool is_v4_mapped(const IpAddress& a) noexcept {
  return a.family == IpFamily::v6 && a.bits[0] == 0 && (a.bits[1] >> 32) == kMappedPrefix;
}

// Either family, without turning a mapped address into IPv4.
std::optional<IpAddress> parse_any(std::string_view text) {
  if (auto v4 = parse_v4(text)) return v4_address(*v4);
  return parse_v6(text);
}

}  // namespace

std::string IpAddress::to_string() const {
  if (family == IpFamily::v4) {
    auto value = static_cast<std::uint32_t>(bits[0] >> 32);
    return std::to_string(value >> 24) + '.' + std::to_string((value >> 16) & 0xff) + '.' +
           std::to_string((value >> 8) & 0xff) + '.' + std::to_string(value & 0xff);
  }
  unsigned char raw[16];
  for (int i = 0; i < 16; ++i) raw[i] = static_cast<unsigned char>(bits[i / 8] >> (56 - 8 * (i % 8)));
  char buffer[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, raw, buffer, sizeof buffer) == nullptr) return {};
  return buffer;
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (auto percent = text.find('%'); percent != std::string_view::npos) {
    if (percent + 1 == text.size()) return std::nullopt;
    text = text.substr(0, percent);
    if (text.find(':') == std::string_view::npos) return std::nullopt;  // zone ids are IPv6 only
  }
  auto address = parse_any(text);
  if (address && is_v4_mapped(*address)) return v4_address(static_cast<std::uint32_t>(address->bits[1]));
  return address;
}

bool Cidr::contains(const IpAddress& address) const noexcept {
  if (address.family != network_.family) return false;
  auto mask = mask_of(prefix_);
  return ((address.bits[0] ^ network_.bits[0]) & mask[0]) == 0 && ((address.bits[1] ^ network_.bits[1]) & mask[1]) == 0;
}

std::string Cidr::to_string() const { return network_.to_string() + '/' + std::to_string(prefix_); }

struct CidrParser {
  static CidrResult parse(std::string_view text) {
    const std::string shown(text.substr(0, 64));
    if (text.empty()) return {std::nullopt, "Enter an IPv4 or IPv6 address or CIDR block."};
    auto slash = text.find('/');
    auto address_text = text.substr(0, slash);
    auto address = parse_any(address_text);
    if (!address) return {std::nullopt, "\"" + shown + "\" is not a valid IPv4 or IPv6 address or CIDR block."};
    int max = address->family == IpFamily::v4 ? 32 : 128;
    int prefix = max;
    if (slash != std::string_view::npos) {
      auto digits = text.substr(slash + 1);
      const char* end = digits.data() + digits.size();
      auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
      if (digits.empty() || digits.size() > 3 || digits.front() == '+' || ec != std::errc() || ptr != end ||
          prefix < 0 || prefix > max) {
        return {std::nullopt, std::string("The prefix length must be a number from 0 to ") + std::to_string(max) +
                                  (max == 32 ? " for IPv4." : " for IPv6.")};
      }
    }
    if (is_v4_mapped(*address) && prefix >= 96) {
      *address = v4_address(static_cast<std::uint32_t>(address->bits[1]));
      prefix -= 96;
    }
    Cidr cidr;
    cidr.network_ = *address;
    cidr.prefix_ = prefix;
    auto mask = mask_of(prefix);
    if ((address->bits[0] & ~mask[0]) != 0 || (address->bits[1] & ~mask[1]) != 0) {
      cidr.network_.bits = {address->bits[0] & mask[0], address->bits[1] & mask[1]};
      return {std::nullopt, "\"" + shown + "\" has host bits set; the block is " + cidr.to_string() + "."};
    }
    return {cidr, {}};
  }
};

CidrResult parse_cidr(std::string_view text) { return CidrParser::parse(text); }

}  // namespace parley
