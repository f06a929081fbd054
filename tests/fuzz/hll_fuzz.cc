// libFuzzer target for ds/hyperloglog: the HLL decoders on hostile bytes, and register edits
// checked against a model.
//
// An HLL is a plain string value that SETRANGE, APPEND or RESTORE can fill with anything, so
// every reader must refuse damage cleanly, never crash or read outside the value.
// Checks per input:
//  1. The input as a value ("HYLL" and a sparse or dense tag forced in front, on an exactly
//     sized heap copy so ASan sees any overread): the header check, the count, the register
//     walk, DESCRIBE and the dense conversion agree on whether the payload is valid; when it
//     is, the dense conversion holds the same registers, and an edit keeps it valid.
//  2. The input read as (register, value) edits applied to a sparse and a dense sketch side
//     by side with a small size limit: both must equal a byte array model.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "ds/hyperloglog.h"

namespace {

namespace hll = tidekv::ds::hll;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "hll_fuzz: %s\n", what);
    std::abort();
  }
}

void CheckValue(std::string_view input) {
  if (input.empty()) return;
  std::string value(hll::MakeEmpty().substr(0, hll::kHeaderBytes));
  value[4] = static_cast<char>(input[0] & 1);  // dense or sparse
  value += input.substr(1);
  if (value[4] == 0 && input.size() > 1 && (input[1] & 1)) value.resize(hll::kDenseBytes, '\0');
  char* copy = static_cast<char*>(std::malloc(value.size()));
  std::memcpy(copy, value.data(), value.size());
  const std::string_view v(copy, value.size());
  if (hll::HeaderValid(v)) {
    const bool sparse = hll::EncodingOf(v) == hll::Encoding::kSparse;
    const bool valid = !sparse || hll::SparseValid(v);
    const std::optional<uint64_t> count = hll::Count(v);
    const std::optional<hll::Registers> regs = hll::RegistersOf(v);
    Check(count.has_value() == valid, "Count disagrees with SparseValid");
    Check(regs.has_value() == valid, "RegistersOf disagrees with SparseValid");
    if (sparse) (void)hll::DescribeSparse(v);
    std::string dense(v);
    Check(hll::ToDense(dense) == valid, "ToDense disagrees with SparseValid");
    if (valid) {
      Check(hll::RegistersOf(dense) == regs, "ToDense changed the registers");
      Check(*hll::Count(dense) == *count, "dense and sparse counts differ");
      std::string edited(v);
      Check(hll::Add(edited, input, 300) != hll::Edit::kCorrupt, "an edit of a valid value failed");
      // Unless the value ends in a cut XZERO (then one more NUL keeps it valid), which
      // an edit inside that run leaves damaged as Redis does.
      const bool cut_tail = sparse && hll::SparseValid(std::string(v) + '\0');
      Check(
          cut_tail || hll::EncodingOf(edited) == hll::Encoding::kDense || hll::SparseValid(edited),
          "an edit broke a sparse value");
    }
  }
  std::free(copy);
}

void CheckEdits(std::string_view input) {
  std::string sparse = hll::MakeEmpty();
  std::string dense = hll::MakeEmpty();
  Check(hll::ToDense(dense), "an empty sketch would not convert");
  hll::Registers model{};
  for (size_t at = 0; at + 3 <= input.size(); at += 3) {
    const uint32_t index = (static_cast<uint8_t>(input[at]) |
                            static_cast<uint32_t>(static_cast<uint8_t>(input[at + 1])) << 8) %
                           hll::kRegisters;
    const auto count = static_cast<uint8_t>(1 + static_cast<uint8_t>(input[at + 2]) % 51);
    const bool raises = count > model[index];
    if (raises) model[index] = count;
    const hll::Edit want = raises ? hll::Edit::kChanged : hll::Edit::kUnchanged;
    Check(hll::SetRegister(sparse, index, count, 2000) == want, "sparse edit result");
    Check(hll::SetRegister(dense, index, count, 2000) == want, "dense edit result");
  }
  Check(hll::EncodingOf(sparse) == hll::Encoding::kDense || hll::SparseValid(sparse),
        "edits broke the sparse value");
  Check(hll::RegistersOf(sparse) == model, "sparse registers differ from the model");
  Check(hll::RegistersOf(dense) == model, "dense registers differ from the model");
  Check(hll::Count(sparse) == hll::Count(model), "sparse count differs from the model's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckValue(input);
  CheckEdits(input);
  return 0;
}
