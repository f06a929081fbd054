// The one way tidekv includes Boost.Asio.
//
// Boost 1.74's <boost/asio/awaitable.hpp> uses std::exchange without including <utility>,
// so <utility> must come first. Every file that needs Asio includes this header instead of
// Boost's. Asio stays out of proto/, logstore/ and compaction/ (they must compile and fuzz
// without it).
#pragma once

// The order below matters; include sorting must not touch it.
// clang-format off
#include <utility>  // must precede Boost.Asio (see above)

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on

namespace tidekv {
namespace asio = boost::asio;
}  // namespace tidekv
