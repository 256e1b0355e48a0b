// Transactions: the classes behind ReadTxn and WriteTxn (cursors are
// engine/cursor.h).
//
// A transaction sees its store only through a TxnContext (txn_context.h).
// It owns an epoch pin for its whole life, so every frame it or
// its cursors reach stays valid until it ends. A write transaction also owns
// the writer lock; the pages it creates are private to it (stamp matches)
// and change in place; any other page is copied first.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/btree.h"
#include "engine/format.h"
#include "engine/txn_context.h"
#include "engine/writer_lock.h"

namespace lightning {

// Catalog keys and values.
std::string CatalogIdKey(TreeId id);
std::string CatalogNameKey(std::string_view name);
std::string CatalogOptionKey(std::string_view option);  // 'o' + name -> value text
std::string EncodeTreeMeta(const TreeMeta& meta);
Status DecodeTreeMeta(std::string_view bytes, TreeMeta* meta);

class TxnCommon : public virtual PageSource {
 public:
  Status Read(PageId id, Frame** frame) override;
  Status ReadChild(Frame* parent, const Node& n, uint32_t index, uint32_t prefetch_bytes,
                   Frame** frame) override;
  void Prefetch(PageId id, uint32_t bytes) override;
  void ReadAhead(const PageId* ids, size_t n) override;
  uint32_t ReadAheadLimit() const override;

  // The tree's root as this transaction sees it (FindMeta without the name).
  virtual Status FindRoot(TreeId tree, TreeRoot* root) {
    TreeMeta m;
    LIGHTNING_RETURN_IF_ERROR(FindMeta(tree, &m));
    *root = m.root;
    return Status::OK();
  }
  const TxnContext* context() const { return ctx_; }

 protected:
  TxnCommon(const TxnContext* ctx, int slot, const Version& v)
      : ctx_(ctx), slot_(slot), version_(v) {}
  ~TxnCommon() override;
  void Unpin();  // also adds this transaction's counts to the store's (FlushStats)
  void FlushStats();

  // The tree's meta as this transaction sees it. NotFound if absent.
  virtual Status FindMeta(TreeId tree, TreeMeta* meta);
  Status LookupName(Slice name, TreeId* id);
  // Read transactions: the per-thread cache of tree roots by snapshot.
  bool CachedRoot(TreeId tree, TreeRoot* root) const;
  void RememberRoot(TreeId tree, const TreeRoot& root) const;
  Status CommonListTrees(std::vector<TreeInfo>* trees);
  // The options saved in the catalog (DB::SaveOption).
  Status ListOptions(std::map<std::string, std::string>* options);
  Status CommonGetView(TreeId tree, Slice key, Slice* value);
  [[gnu::always_inline]] inline Status GetViewUnmeasured(TreeId tree, Slice key, Slice* value);
  [[gnu::noinline, gnu::cold]] Status MeasuredGetView(TreeId tree, Slice key, Slice* value);
  Result<std::unique_ptr<Cursor>> CommonNewCursor(TreeId tree, const uint64_t* mod_count);

  const TxnContext* ctx_;
  int slot_;         // epoch slot; -1 once released
  Version version_;  // snapshot (read) or catalog being built (write)
  TreeId cached_id_ = 0;
  TreeRoot cached_root_;
  // Counts reported to the store's EngineStats when the transaction ends
  // (plain increments here: no shared write on the read path).
  uint64_t gets_ = 0, get_misses_ = 0, page_hits_ = 0;
  bool counts_as_read_txn_ = false;
  // Read transactions link children (Pager::LinkChild): every page they see
  // is committed. A write transaction only follows links: its private pages
  // change in place.
  bool links_children_ = false;
};

class ReadTxnImpl final : public ReadTxn, public TxnCommon {
 public:
  ReadTxnImpl(const TxnContext* ctx, int slot, const Version& v) : TxnCommon(ctx, slot, v) {
    counts_as_read_txn_ = true;
    links_children_ = true;
  }
  Status OpenTree(Slice name, TreeId* id) override { return LookupName(name, id); }
  Status ListTrees(std::vector<TreeInfo>* trees) override { return CommonListTrees(trees); }
  Status GetTreeInfo(TreeId tree, TreeInfo* info) override;
  Status Get(TreeId tree, Slice key, std::string* value) override;
  Status GetView(TreeId tree, Slice key, Slice* value) override {
    return CommonGetView(tree, key, value);
  }
  Result<std::unique_ptr<Cursor>> NewCursor(TreeId tree) override {
    return CommonNewCursor(tree, nullptr);
  }
  uint64_t id() const override { return version_.txn; }
  Status LoadMeta(TreeId tree, TreeMeta* meta) { return FindMeta(tree, meta); }
  Status LoadOptions(std::map<std::string, std::string>* options) { return ListOptions(options); }
};

class WriteTxnImpl final : public WriteTxn, public TxnCommon, public PageWriter {
 public:
  WriteTxnImpl(const TxnContext* ctx, int slot, const Version& v,
               std::unique_lock<WriterLock> lock);
  ~WriteTxnImpl() override;

  // Txn
  Status OpenTree(Slice name, TreeId* id) override;
  Status ListTrees(std::vector<TreeInfo>* trees) override;
  Status GetTreeInfo(TreeId tree, TreeInfo* info) override;
  Status Get(TreeId tree, Slice key, std::string* value) override;
  Status GetView(TreeId tree, Slice key, Slice* value) override;
  Result<std::unique_ptr<Cursor>> NewCursor(TreeId tree) override;
  uint64_t id() const override { return lsn_; }

  // WriteTxn
  Status Put(TreeId tree, Slice key, Slice value) override;
  Status Delete(TreeId tree, Slice key, bool* existed) override;
  Status CreateTree(Slice name, TreeId* id) override;
  Status DropTree(Slice name) override;
  Status RenameTree(Slice from, Slice to) override;
  Status ClearTree(TreeId tree) override;
  Status Savepoint(int* depth) override;
  Status RollbackTo(int depth) override;
  Status Release(int depth) override;
  Status Commit() override;
  void Abort() override;

  // PageWriter
  Status NewPage(PageType type, uint32_t size, Frame** frame) override;
  Status Writable(PageId id, Frame** frame) override;
  void FreePage(PageId id) override;
  Status Read(PageId id, Frame** frame) override { return TxnCommon::Read(id, frame); }
  Frame* PrivateFrame(PageId id) override;

  // Recovery and catch-up replay a record without logging it again.
  void set_replaying(uint64_t lsn) {
    logging_ = false;
    lsn_ = lsn;
  }
  Status ApplyPayload(std::string_view payload);
  // Saves option `name` = `value` (text) in the catalog (DB::SaveOption).
  Status PutOption(Slice name, Slice value);

  // What the store's commit (StoreWriter::CommitWrite) reads of the
  // transaction. Valid until Finish().
  struct Changes {
    bool none;  // nothing was logged (and this is no replay): nothing changed
    uint64_t lsn;
    const Version& version;            // the catalog as built
    std::vector<PageId>& created;      // pages made here; the commit sorts them
    const std::vector<PageId>& freed;  // pages this transaction made unreachable
    std::string_view log;              // the WAL payload
    uint64_t puts, deletes;
    bool replay;  // a record replayed (recovery, catch-up): applied, never logged again
  };
  Changes changes() {
    return {logging_ && wal_.empty(),
            lsn_,
            version_,
            created_,
            freed_,
            wal_,
            puts_,
            deletes_,
            !logging_};
  }
  // Drops the pages created since the n-th (an abort, a rollback, an empty
  // commit): they were never reachable from a committed version.
  void DropCreatedSince(size_t n);
  // Ends the transaction: the pin and the writer lock go. The commit calls it
  // as soon as the next writer may start.
  void Finish();

 private:
  struct MetaState {
    TreeMeta meta;
    bool dirty = false;
    PutFinger finger;  // where this tree's last put landed
  };
  struct Save {
    Version version;
    std::map<TreeId, MetaState> metas;
    size_t created, freed, wal;
  };

  Status FindMeta(TreeId tree, TreeMeta* meta) override;
  Status FindRoot(TreeId tree, TreeRoot* root) override;
  Status MutableMeta(TreeId tree, MetaState** state);
  Status CheckOpen() const;
  Status FlushMetas();  // writes dirty metas into the catalog tree
  void LogOp(WalOp op, TreeId tree, Slice a, Slice b, bool has_b);
  Status PutCatalog(Slice key, Slice value);
  Status DeleteCatalog(Slice key);

  std::unique_lock<WriterLock> writer_lock_;
  uint64_t lsn_;
  uint64_t stamp_;
  std::vector<PageId> created_;
  std::vector<PageId> freed_;
  std::map<TreeId, MetaState> metas_;
  std::vector<Save> saves_;
  std::string wal_;
  uint64_t mod_count_ = 0;
  bool logging_ = true;
  bool done_ = false;
  uint64_t puts_ = 0, deletes_ = 0;
};

}  // namespace lightning
