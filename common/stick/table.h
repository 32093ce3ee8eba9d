// One pool's stick table: which server a client (source IP or cookie value)
// stays on. The one store of the cluster: the proxy's table
// (lb/stick/stick_table.h wraps it with a lock) and the agent's copy
// (ha/sync/stick_store.h keeps one per pool) are both this class, so they
// merge, expire and evict the same way.
//
// Pure: no sockets, no clock reads (time comes in as `now`), no lock. Not
// thread-safe: a caller shared between threads locks around every call, and
// allocates and frees nodes outside its lock (make_node(), Graveyard).
//
// Modelled on HAProxy's stick tables (expire-on-access, a size bound, peers
// replication) with a merge rule that needs no agreement between clocks
// (common/stick/merge_rule.h): entries travel with their REMAINING lifetime.
//
// The eviction rule, at the size bound: the entry that expires soonest goes.
// Every local write and every hit sets an entry's expiry to now + ttl, and
// entries from peers carry the life they have left, so the soonest expiry is
// the entry whose last write or hit ANYWHERE in the cluster is the oldest:
// least recently used, cluster-wide. (The proxy's table used to keep an LRU
// list of its own touches and the agent's copy the soonest expiry; the two
// agree on everything but entries learned from peers, and this rule needs no
// second container.) A new entry is never its own victim.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/intrusive/list.hpp>
#include <boost/intrusive/set.hpp>
#include <boost/intrusive/unordered_set.hpp>

#include "common/proto/local_channel.pb.h"
#include "common/stick/resync_fallback.h"

namespace tandem::stick {

// Time as the callers inject it; the table never reads a clock.
using TimePoint = std::chrono::steady_clock::time_point;

// What the merge rule needs to know about the entry already in the table.
struct StickVersion {
  TimePoint expiry;           // when the entry we hold expires
  std::string_view origin;    // node that wrote it
  std::uint64_t version = 0;  // write order at that origin
};

// The merge rule (common/stick/merge_rule.h) on a wire entry: true when
// INCOMING replaces EXISTING at NOW. `incoming.ttl_remaining_ms` must already
// be clamped to the table's TTL (Table::apply does it).
bool incoming_wins(const StickVersion& existing, const wire::StickEntry& incoming, TimePoint now);

// Remaining life in whole ms (floor), 0 when expired, saturated to uint32.
std::uint32_t remaining_ms(TimePoint expiry, TimePoint now);

// Construction parameters of a Table.
struct TableOptions {
  std::string pool;  // the pool this table serves; stamped on outgoing entries
  std::string node;  // this node's name: origin of local writes
  std::chrono::milliseconds ttl{30 * 60 * 1000};  // entry lifetime after its last write or hit
  std::size_t max_entries = 100000;         // eviction beyond this (at least 1)
  std::size_t max_pending_changes = 65536;  // change-feed bound; 0 = no change feed
};

// A snapshot of a table's counters (all monotonic except `entries`, `markers`).
struct Counters {
  std::uint64_t entries = 0;      // live entries now (removal markers excluded)
  std::uint64_t markers = 0;      // removal markers held now
  std::uint64_t hits = 0;         // lookups that found a live entry
  std::uint64_t misses = 0;       // lookups that did not
  std::uint64_t evictions = 0;    // entries dropped at the size bound (soonest expiry)
  std::uint64_t expirations = 0;  // live entries dropped because their TTL ran out
  std::uint64_t applied = 0;      // entries from elsewhere that changed the table
  std::uint64_t stale = 0;        // entries from elsewhere that lost to what we hold
  std::uint64_t rejected = 0;     // entries from elsewhere for another pool, or empty keys
  std::uint64_t overflows = 0;    // change-feed overflows (each asks for a full resync)
};

namespace detail {

namespace bi = boost::intrusive;

// One entry: a heap node linked into three intrusive containers (no
// allocation when linking) and, while a change is queued, the change feed.
struct Item {
  bi::unordered_set_member_hook<> hash_hook;
  bi::set_member_hook<> expiry_hook;
  bi::list_member_hook<> dirty_hook;  // the change feed; then the Graveyard once unlinked
  std::string key;
  std::string server;
  std::string origin;
  TimePoint expiry{};
  TimePoint replicated_expiry{};  // expiry our peers were last told about
  std::uint64_t version = 0;
  bool removed = false;  // a removal marker, not a live entry
};

using ItemList = bi::list<Item, bi::member_hook<Item, bi::list_member_hook<>, &Item::dirty_hook>,
                          bi::constant_time_size<true>>;

}  // namespace detail

// Entries a Table operation unlinked. They are freed when this dies: a
// caller that locks declares it before its lock guard, so the frees happen
// after the lock is released.
class Graveyard {
 public:
  Graveyard() = default;
  Graveyard(const Graveyard&) = delete;
  Graveyard& operator=(const Graveyard&) = delete;
  ~Graveyard();

 private:
  friend class Table;
  detail::ItemList items_;
};

// See the file comment.
class Table {
 public:
  // An entry built before the call that links it (outside the caller's lock).
  using Node = std::unique_ptr<detail::Item>;
  // A node for a local write of KEY to SERVER by ORIGIN.
  static Node make_node(std::string_view key, std::string_view server, std::string_view origin);
  // A node for an entry from elsewhere.
  static Node make_node(const wire::StickEntry& in);

  explicit Table(TableOptions options);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // The options, max_entries clamped to >= 1.
  const TableOptions& options() const { return options_; }

  // The server KEY is stuck to, if a live entry exists. A hit refreshes the
  // entry's TTL (expire-on-access) and queues a change when the peers' copy
  // would otherwise expire more than ttl/4 before ours.
  std::optional<std::string> lookup(std::string_view key, TimePoint now);

  // A local write (REMOVAL false: FRESH's key to its server) or removal (kept
  // as a marker for ttl; a no-op for an unknown or dead key). FRESH comes
  // from make_node(key, server, options().node); it is linked, or its strings
  // are swapped into the existing entry. Queues a change.
  void write(Node& fresh, bool removal, TimePoint now, Graveyard& dead);

  // False (and counted as rejected) for an entry this table must not take:
  // an empty key, or another pool (a non-empty, different `pool`).
  bool accepts(const wire::StickEntry& in);

  // Merges one accepted entry from elsewhere with the merge rule, its TTL
  // clamped to ours; FRESH is make_node(IN). Not queued as a change (no echo),
  // and a queued local change it supersedes is dropped. True when it changed
  // the table.
  bool apply(const wire::StickEntry& in, Node& fresh, TimePoint now, Graveyard& dead);

  // What expire() dropped.
  struct Expired {
    std::size_t live = 0;     // live entries (counted as expirations)
    std::size_t markers = 0;  // removal markers
  };
  // Drops every entry whose TTL has run out by NOW.
  Expired expire(TimePoint now, Graveyard& dead);

  // Appends every unexpired entry with its remaining TTL, origin and version,
  // latest expiry first; removal markers only when WITH_MARKERS (a snapshot
  // for a peer needs them: a removal lost to a queue overflow still arrives).
  void list(TimePoint now, bool with_markers, std::vector<wire::StickEntry>& out) const;

  // Takes up to MAX queued local changes, oldest first, with their remaining
  // TTL as of NOW (changes that expired while queued are skipped). Several
  // writes to one key while queued coalesce into its latest state.
  std::vector<wire::StickEntry> drain_changes(std::size_t max, TimePoint now);

  // True once since the change feed last overflowed (it was dropped): the
  // caller must send a full snapshot instead. Reading clears it.
  bool take_needs_full_resync() { return fallback_.take(); }

  Counters counters() const;
  std::size_t size() const { return index_.size(); }

 private:
  struct KeyOf {
    using type = std::string_view;
    type operator()(const detail::Item& item) const { return item.key; }
  };
  struct ExpiryOf {
    using type = TimePoint;
    const type& operator()(const detail::Item& item) const { return item.expiry; }
  };
  using Index = detail::bi::unordered_set<
      detail::Item,
      detail::bi::member_hook<detail::Item, detail::bi::unordered_set_member_hook<>, &detail::Item::hash_hook>,
      detail::bi::key_of_value<KeyOf>, detail::bi::hash<std::hash<std::string_view>>,
      detail::bi::equal<std::equal_to<std::string_view>>, detail::bi::power_2_buckets<true>,
      detail::bi::constant_time_size<true>>;
  using ByExpiry = detail::bi::multiset<
      detail::Item, detail::bi::member_hook<detail::Item, detail::bi::set_member_hook<>, &detail::Item::expiry_hook>,
      detail::bi::key_of_value<ExpiryOf>>;

  detail::Item* find(std::string_view key);
  void set_expiry(detail::Item& item, TimePoint expiry);
  void unlink(detail::Item& item, Graveyard& dead);
  void link(detail::Item& item, Graveyard& dead);
  void mark_dirty(detail::Item& item);
  void set_removed(detail::Item& item, bool removed);
  wire::StickEntry to_wire(const detail::Item& item, TimePoint now) const;

  TableOptions options_;
  std::uint32_t ttl_ms_;
  std::vector<Index::bucket_type> buckets_;
  Index index_;
  ByExpiry by_expiry_;     // begin = soonest expiry: the next to expire, the next evicted
  detail::ItemList dirty_;  // the change feed; front = oldest queued change
  ResyncFallback fallback_;
  std::uint64_t next_version_ = 1;
  std::uint64_t live_ = 0;
  Counters counters_;
};

}  // namespace tandem::stick
