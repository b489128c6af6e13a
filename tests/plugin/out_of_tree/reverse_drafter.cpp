// An out-of-tree drafter: proposes the context backwards (deterministic, one-hot).
#include <algorithm>
#include <memory>

#include "specrouter/plugin/plugin_api.h"

namespace {

class ReverseDrafter final : public specrouter::Drafter {
 public:
  std::vector<specrouter::Draft> propose(std::span<const specrouter::DraftRequest> requests,
                                        const specrouter::DraftContext&) override {
    std::vector<specrouter::Draft> drafts(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const auto& context = requests[i].context;
      const auto count = std::min<std::size_t>(context.size(), static_cast<std::size_t>(requests[i].max_tokens));
      drafts[i].tokens.assign(context.rbegin(), context.rbegin() + static_cast<std::ptrdiff_t>(count));
    }
    return drafts;
  }
};

}  // namespace

SPECROUTER_PLUGIN(registrar) {
  registrar.add<specrouter::Drafter>({"reverse", "out-of-tree example: proposes the context backwards", {}},
                                     [](const specrouter::Params&) { return std::make_unique<ReverseDrafter>(); });
}
