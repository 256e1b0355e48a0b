// DBImpl: options of an open store — live changes, options saved in the
// catalog (applied again by every open), and objects attached to the store.
#include "engine/db_impl.h"
#include "engine/txn.h"

namespace lightning {

Status DBImpl::SetOption(Slice name, Slice value) {
  Options parsed = GetOptions();
  LIGHTNING_RETURN_IF_ERROR(parsed.Set(name, value));
  const OptionInfo* info = FindOption(name);
  if (!info->live) {
    return Status::NotSupported(std::string("option ") + info->name +
                                " takes effect only when the store is opened");
  }
  return SetOptions(parsed, {info->name}, false);
}

Status DBImpl::SaveOption(Slice name, Slice value, bool* live) {
  Options parsed = GetOptions();
  LIGHTNING_RETURN_IF_ERROR(parsed.Set(name, value));
  const OptionInfo* info = FindOption(name);
  if (live != nullptr) *live = info->live;
  return SetOptions(parsed, {info->name}, true);
}

Status DBImpl::SetOptions(const Options& from, const std::vector<std::string>& names, bool save) {
  std::vector<std::string> live;
  for (const std::string& name : names) {
    const OptionInfo* info = FindOption(name);
    if (info == nullptr) return Status::NotFound("unknown option '" + name + "'");
    if (std::string_view(info->name) == "page_size" && from.page_size != page_size_) {
      return Status::InvalidArgument(
          "page_size is fixed when the store is created (this store's is " +
          std::to_string(page_size_) + ")");
    }
    if (save && in_memory_ && !info->live) {
      return Status::InvalidArgument(std::string(info->name) +
                                     " takes effect only when a store is opened, and an "
                                     "in-memory store is never reopened");
    }
    if (info->live) live.push_back(info->name);
  }
  if (save && !in_memory_) {
    auto w = BeginWrite();
    if (!w.ok()) return w.status();
    auto* txn = static_cast<WriteTxnImpl*>(w.value().get());
    for (const std::string& name : names) {
      std::string text;
      LIGHTNING_RETURN_IF_ERROR(from.Get(name, &text));
      LIGHTNING_RETURN_IF_ERROR(txn->PutOption(FindOption(name)->name, text));
    }
    LIGHTNING_RETURN_IF_ERROR(txn->Commit());
  }
  if (!live.empty()) ApplyLiveOptions(from, live);
  return Status::OK();
}

// Only the named fields change (under opts_mu_): concurrent changes of other
// options are kept.
void DBImpl::ApplyLiveOptions(const Options& from, const std::vector<std::string>& names) {
  Options now;
  {
    std::lock_guard<std::mutex> lock(opts_mu_);
    for (const std::string& name : names) (void)opts_.Assign(name, from);
    now = opts_;
  }
  sync_mode_.store(static_cast<uint8_t>(now.sync));
  if (!in_memory_) {
    pager_->set_capacity(now.cache_size);
    pager_->set_readahead_limit(now.scan_readahead);
    pager_->EvictIfNeeded();
  }
}

Status DBImpl::SavedOptions(std::map<std::string, std::string>* saved) {
  auto r = BeginRead();
  if (!r.ok()) return r.status();
  return static_cast<ReadTxnImpl*>(r.value().get())->LoadOptions(saved);
}

Status DBImpl::ApplySavedOptions(Options* merged, bool* reopen) {
  *reopen = false;
  std::map<std::string, std::string> saved;
  LIGHTNING_RETURN_IF_ERROR(SavedOptions(&saved));
  if (saved.empty()) return Status::OK();
  const Options current = GetOptions();
  *merged = current;
  std::vector<std::string> live;
  for (const auto& [name, value] : saved) {
    const OptionInfo* info = FindOption(name);
    // Unknown to this build (saved by a newer one) or out of its range: the
    // store opens with what it was given rather than not at all.
    if (info == nullptr || !merged->Set(name, value).ok()) continue;
    if (info->live) {
      live.push_back(name);
    } else if (name != "page_size") {
      std::string now;
      (void)current.Get(name, &now);
      std::string wanted;
      (void)merged->Get(name, &wanted);
      if (now != wanted) *reopen = true;
    }
  }
  merged->page_size = current.page_size;
  return SetOptions(*merged, live, false);
}

Result<std::shared_ptr<void>> DBImpl::Attached(const std::string& key, const MakeAttachment& make) {
  std::lock_guard<std::mutex> lock(attached_mu_);
  auto it = attached_.find(key);
  if (it != attached_.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  if (!make) return std::shared_ptr<void>();
  auto made = make();
  if (!made.ok()) return made.status();
  std::shared_ptr<void> object = std::move(made).value();
  attached_[key] = object;
  return object;
}

}  // namespace lightning
