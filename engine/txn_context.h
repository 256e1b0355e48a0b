// TxnContext: what a transaction may use of the store that began it.
//
// Transactions and cursors reach the store only through this narrow view,
// never through DBImpl's members. The read side is plain pointers, so a page
// read costs the loads it always did (ctx->pager, then the page table). The
// write side is StoreWriter, an interface whose calls come once per
// transaction, savepoint or new page, never once per row.
//
// Lifetime: DBImpl owns the context and fills it when the store opens; it
// outlives every transaction (a transaction holds the store open).
#pragma once

#include <cstdint>
#include <string>

#include "engine/btree.h"
#include "engine/histogram.h"
#include "engine/page.h"
#include "engine/pager.h"
#include "engine/profile.h"
#include "engine/stats.h"
#include "lightning/db.h"

namespace lightning {

class WriteTxnImpl;

// A catalog root as of one commit: what a snapshot sees.
struct Version {
  uint64_t txn = 0;  // lsn of the commit that made it
  TreeRoot catalog;  // the catalog tree
  uint64_t next_tree_id = 1;
};

// A tree's entry in the catalog.
struct TreeMeta {
  TreeId id = 0;
  std::string name;
  TreeRoot root;
};

// The store's side of the one write transaction. Every call REQUIRES the
// writer lock (held by the calling transaction).
class StoreWriter {
 public:
  // A stamp no frame has: pages stamped with it are private to the caller
  // until its next savepoint (which takes a new one).
  virtual uint64_t NewStamp() = 0;
  // The WAL payload buffer the last write transaction left, moved into
  // *log (empty, its memory reused); and giving it back when the transaction
  // ends (*log ends up empty). Through a pointer, so that a begin and an end
  // cost no string temporaries.
  virtual void TakeLogBuffer(std::string* log) = 0;
  virtual void ReturnLogBuffer(std::string* log) = 0;
  // A page id for a new page of `type` (takes the space lock).
  virtual PageId AllocPage(PageType type) = 0;
  // Pages the transaction created and will not commit (an abort or a
  // rollback): their frames are dropped and their ids free again.
  virtual void DropUncommitted(const PageId* ids, size_t n) = 0;
  // Commits `txn` (its pages, its catalog, its WAL record) and ends it.
  virtual Status CommitWrite(WriteTxnImpl* txn) = 0;

 protected:
  ~StoreWriter() = default;
};

struct TxnContext {
  Pager* pager = nullptr;  // pages by id, epoch pins, the cache
  EngineStats* stats = nullptr;
  LatencyStats* latency = nullptr;
  ProfileStats* profile = nullptr;
  uint64_t store_uid = 0;  // unique per store instance in this process
  uint32_t page_size = 0;
  StoreWriter* writer = nullptr;  // the write side
};

}  // namespace lightning
