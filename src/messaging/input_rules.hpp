#pragma once
// Rules for what clients send to the messaging endpoints, shared by the handlers and the actions.
#include <cstddef>
#include <string_view>

namespace parley::messaging {

inline constexpr std::size_t kMaxBodyLength = 10'000;  // code points (docs/api.md)
inline constexpr std::size_t kMaxAttachmentsPerMessage = 10;
inline constexpr std::size_t kMaxClientMsgIdLength = 64;
inline constexpr std::size_t kMaxMembersPerRequest = 100;
inline constexpr std::size_t kMaxConversationName = 80;
inline constexpr std::size_t kMaxTopic = 250;

// Code points of valid UTF-8 `text` (continuation bytes are not counted).
std::size_t code_points(std::string_view text) noexcept;

// A reaction: a shortcode of [a-z0-9_+-] (1 to 32 characters, e.g. "thumbsup", "+1"), or an emoji
// sequence of 1 to 16 code points and at most 64 bytes of valid UTF-8 with no ASCII besides
// digits, '#' and '*' (keycaps), and no whitespace, control or format characters other than the
// zero-width joiner and variation selectors that emoji sequences use.
bool is_valid_emoji(std::string_view emoji) noexcept;

// A client message id: 1 to 64 visible ASCII characters (UUIDs, ULIDs, counters...).
bool is_valid_client_msg_id(std::string_view id) noexcept;

}  // namespace parley::messaging
