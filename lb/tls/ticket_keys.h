// Session-ticket keys every node of the cluster agrees on without sending
// them anywhere: each is derived from the cluster key (ha.key_file, which
// every node already holds to sign adverts) and the number of the period
// it belongs to (unix time / period, hourly by default):
//
//   key(n) = HMAC-SHA256(cluster key, "tandem-tls-ticket/1" || n || part)
//
// So a client that got a ticket on edge1 resumes on edge2 after a failover,
// with no full handshake: no generator to elect, nothing to lose on a split
// or a restart, and every node rotates at the same instant. Tickets are
// issued under the current period's key; the previous one still decrypts
// (a ticket lives at least one period) and so does the next one (a node
// whose clock runs a little behind accepts what a node ahead issued). A
// ticket under any other key gets a full handshake. During a rotation of
// the cluster key itself (ha.next_key_file), the keys of both are accepted.
//
// The price, as with HAProxy's or nginx's ticket-key files: whoever holds
// the cluster key can decrypt tickets of every period; the key already
// guards the whole cluster (it forges adverts), and TLS 1.3 resumption
// still runs an (EC)DHE exchange, so recorded 1.3 traffic stays secret.
// Pure: time comes in as a value; the OpenSSL callback is in server_context.cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::lb::tls {

struct TicketKey {
  std::array<std::uint8_t, 16> name{};      // sent in the ticket in clear: picks the key back
  std::array<std::uint8_t, 32> aes_key{};   // AES-256-CBC
  std::array<std::uint8_t, 32> hmac_key{};  // HMAC-SHA256
  std::uint64_t period = 0;
};

class TicketKeys {
 public:
  // SECRETS: the cluster key first (tickets are issued under it), then any
  // other key still accepted. PERIOD: how long one key issues tickets.
  TicketKeys(std::vector<std::string> secrets, std::chrono::seconds period);

  // The period number at NOW (seconds since the epoch).
  std::uint64_t period_at(std::chrono::system_clock::time_point now) const;
  // The key that issues tickets at NOW.
  TicketKey issuing(std::chrono::system_clock::time_point now) const;

  struct Found {
    TicketKey key;
    bool renew = false;  // not the issuing key: the client gets a fresh ticket
  };
  // The key whose name is NAME among those accepted at NOW; nullopt: unknown
  // (too old, from another cluster, or forged), so a full handshake.
  std::optional<Found> find(const std::array<std::uint8_t, 16>& name, std::chrono::system_clock::time_point now) const;

  std::chrono::seconds period() const { return period_; }

 private:
  TicketKey derive(const std::string& secret, std::uint64_t period) const;

  std::vector<std::string> secrets_;
  std::chrono::seconds period_;
};

}  // namespace tandem::lb::tls
