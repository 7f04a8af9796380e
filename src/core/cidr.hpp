#pragma once
// IP addresses and CIDR blocks (IPv4 and IPv6) for access rules: strict parsing with messages a
// client can be shown, a normalised text form, and containment. Pure; values are immutable and
// safe to share between threads.
//
// Rules of the text forms (those of Python's `ipaddress` in strict mode):
//   * an address is dotted-quad IPv4 (four decimal octets 0-255, no leading zeros) or IPv6 text
//     (RFC 4291, any compression, lower or upper case; no zone id "%eth0" in a block);
//   * a block is "<address>/<prefix>"; a bare address is a block of one (/32 or /128);
//   * a block with host bits set ("10.0.0.1/8") is refused, naming the block that was meant;
//   * an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv4: "::ffff:10.0.0.0/104" is 10.0.0.0/8,
//     and a client at ::ffff:10.1.2.3 (a dual-stack socket) is the IPv4 client 10.1.2.3.
// IPv4 and IPv6 never contain each other's addresses (apart from the mapped form above).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

enum class IpFamily : std::uint8_t { v4, v6 };

// An address as 128 bits, left-aligned: IPv4 sits in the top 32 bits and the rest is zero.
struct IpAddress {
  IpFamily family = IpFamily::v4;
  std::array<std::uint64_t, 2> bits{};  // [0] most significant

  // "203.0.113.9", "2001:db8::1" (RFC 5952: lower case, longest zero run compressed).
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Parses an address (a zone id "%..." after an IPv6 address is accepted and ignored, as peers on
// link-local addresses carry one). nullopt for anything else, including surrounding spaces.
std::optional<IpAddress> parse_ip_address(std::string_view text);

class Cidr {
 public:
  // The network address (host bits zero) and the prefix length (0-32 for IPv4, 0-128 for IPv6).
  const IpAddress& network() const noexcept { return network_; }
  int prefix_length() const noexcept { return prefix_; }
  IpFamily family() const noexcept { return network_.family; }

  // Whether `address` lies inside this block (same family only). A few integer operations.
  bool contains(const IpAddress& address) const noexcept;

  // The normalised form, always with the prefix: "10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32".
  std::string to_string() const;
  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  friend struct CidrParser;
  IpAddress network_;
  int prefix_ = 0;
};

// What parse_cidr returns: a block, or why the text is not one (a sentence for an end user).
struct CidrResult {
  std::optional<Cidr> cidr;
  std::string error;
};

// Parses a block or a bare address strictly (rules above).
CidrResult parse_cidr(std::string_view text);

}  // namespace parley
