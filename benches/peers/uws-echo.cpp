// A WebSocket echo server on uWebSockets (C++), for `e2e --peer`: echoes every message as
// it came (text as text, binary as binary), with permessage-deflate OFF. Plain TCP, no TLS,
// one thread. Prints `ws://HOST:PORT/` (the port actually bound) on its first line.
//
//   uws-echo [ignored args...] --listen 127.0.0.1:0
//
// uWebSockets and uSockets (Apache-2.0) are not vendored here; build this against source
// trees checked out outside the repository:
//
//   bash benches/peers/build-uws.sh UWS_SRC_DIR USOCKETS_SRC_DIR OUT_BINARY
//
// Limits are set so that the bench's traffic fits: messages up to 64 MiB, 64 MiB of send
// backpressure per connection (never closed for it), and no idle timeout, since the bench
// holds many idle connections open.

#include "App.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

struct PerSocket {};

// Splits "HOST:PORT" (or "[V6]:PORT") at its last colon; false if it can't.
bool parse_listen(const std::string &spec, std::string &host, int &port) {
    const std::string::size_type colon = spec.rfind(':');
    if (colon == std::string::npos || colon + 1 >= spec.size()) return false;
    host = spec.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    char *end = nullptr;
    const long p = std::strtol(spec.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535) return false;
    port = static_cast<int>(p);
    return true;
}

// Many idle connections need many descriptors: lift the soft limit to the hard one.
void raise_nofile_limit() {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

} // namespace

int main(int argc, char **argv) {
    // Only the last `--listen ADDR` counts; every other argument is ignored.
    std::string listen_spec;
    for (int i = 1; i + 1 < argc; i++) {
        if (std::strcmp(argv[i], "--listen") == 0) listen_spec = argv[i + 1];
    }
    if (listen_spec.empty()) {
        std::fprintf(stderr, "usage: %s --listen HOST:PORT\n", argv[0]);
        return 2;
    }
    std::string host;
    int port = 0;
    if (!parse_listen(listen_spec, host, port)) {
        std::fprintf(stderr, "uws-echo: bad --listen address: %s\n", listen_spec.c_str());
        return 2;
    }

    raise_nofile_limit();

    constexpr unsigned int MiB = 1024 * 1024;
    uWS::App::WebSocketBehavior<PerSocket> behavior = {};
    behavior.compression = uWS::DISABLED;
    behavior.maxPayloadLength = 64 * MiB;
    behavior.maxBackpressure = 64 * MiB;
    behavior.closeOnBackpressureLimit = false;
    behavior.resetIdleTimeoutOnSend = false;
    // idleTimeout 0 means "no timeout" only with automatic pings off: with them on, uWS
    // subtracts its ping margin from 0 and the unsigned result arms a random timeout.
    behavior.idleTimeout = 0;
    behavior.sendPingsAutomatically = false;
    behavior.maxLifetime = 0;
    behavior.message = [](uWS::WebSocket<false, true, PerSocket> *ws, std::string_view message,
                          uWS::OpCode opCode) {
        ws->send(message, opCode);
    };

    uWS::App()
        .ws<PerSocket>("/*", std::move(behavior))
        .listen(host, port, [&](us_listen_socket_t *listen_socket) {
            if (!listen_socket) {
                std::fprintf(stderr, "uws-echo: cannot listen on %s\n", listen_spec.c_str());
                std::exit(1);
            }
            const int bound = us_socket_local_port(0, (struct us_socket_t *) listen_socket);
            const bool v6 = host.find(':') != std::string::npos;
            std::printf(v6 ? "ws://[%s]:%d/\n" : "ws://%s:%d/\n", host.c_str(), bound);
            std::fflush(stdout);
        })
        .run();

    return 0;
}
