#include "core/emulator/code_store.h"

#include <sys/stat.h>
#include <zip.h>

#include <fstream>
#include <random>

#include <fmt/format.h>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/hash.h"

namespace fx::emulator {

namespace fs = std::filesystem;

CodeStore::CodeStore(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_);
}

StoredCode CodeStore::put(std::string_view zip_bytes) {
  std::string raw = util::sha256_raw(zip_bytes);
  std::string hex = util::to_hex(raw);
  fs::path zip = root_ / (hex + ".zip");
  if (!fs::exists(zip)) {
    fs::path tmp = root_ / fmt::format("{}.{}.tmp", hex, std::random_device{}());
    std::ofstream(tmp, std::ios::binary)
        .write(zip_bytes.data(), static_cast<std::streamsize>(zip_bytes.size()));
    fs::rename(tmp, zip);
  }
  try {
    return get(hex);
  } catch (...) {
    fs::remove(zip);
    throw;
  }
}

StoredCode CodeStore::get(const std::string& hex) {
  StoredCode code;
  code.sha256_hex = hex;
  code.zip = root_ / (hex + ".zip");
  code.dir = root_ / hex;
  if (!fs::exists(code.zip))
    throw Error(fmt::format("code {} is missing from {}", hex, root_.string()));
  code.size = static_cast<std::int64_t>(fs::file_size(code.zip));
  // The file is named by its SHA-256: no need to read it again to know it.
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  code.code_sha256 = util::base64_encode(raw);
  if (!fs::exists(code.dir / ".fx-complete")) unpack(code.zip, code.dir);
  return code;
}

void CodeStore::unpack(const fs::path& zip_path, const fs::path& dir) {
  int err = 0;
  zip_t* z = zip_open(zip_path.c_str(), ZIP_RDONLY, &err);
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw Error(fmt::format(
        "Could not unzip uploaded file. Please check your file, then try to upload again. ({})",
        msg));
  }
  fs::path tmp = dir.string() + fmt::format(".{}.tmp", std::random_device{}());
  util::remove_tree(tmp);
  fs::create_directories(tmp);
  auto fail = [&](const std::string& what) {
    zip_close(z);
    fs::remove_all(tmp);
    throw Error(what);
  };
  zip_int64_t n = zip_get_num_entries(z, 0);
  std::string buf;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(z, i, 0);
    if (!name) fail("Could not unzip uploaded file: unreadable entry name");
    std::string entry(name);
    fs::path rel = fs::path(entry).lexically_normal();
    // "zip slip": an entry must not climb out of the task root.
    if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
      fail(fmt::format("Could not unzip uploaded file: entry '{}' points outside the bundle",
                       entry));
    fs::path out = tmp / rel;
    if (entry.back() == '/') {
      fs::create_directories(out);
      continue;
    }
    fs::create_directories(out.parent_path());
    zip_stat_t st;
    zip_stat_index(z, i, 0, &st);
    zip_file_t* f = zip_fopen_index(z, i, 0);
    if (!f) fail(fmt::format("Could not unzip uploaded file: cannot read '{}'", entry));
    buf.resize(st.size);
    zip_int64_t got = st.size ? zip_fread(f, buf.data(), st.size) : 0;
    zip_fclose(f);
    if (got != static_cast<zip_int64_t>(st.size))
      fail(fmt::format("Could not unzip uploaded file: '{}' is truncated", entry));
    std::ofstream(out, std::ios::binary)
        .write(buf.data(), static_cast<std::streamsize>(buf.size()));
    zip_uint8_t opsys = 0;
    zip_uint32_t attrs = 0;
    bool exec = zip_file_get_external_attributes(z, i, 0, &opsys, &attrs) == 0 &&
                opsys == ZIP_OPSYS_UNIX && ((attrs >> 16) & 0111);
    ::chmod(out.c_str(), exec ? 0755 : 0644);
  }
  zip_close(z);
  std::ofstream(tmp / ".fx-complete").put('\n');
  util::make_tree_read_only(tmp);
  util::remove_tree(dir);
  fs::rename(tmp, dir);
}

}  // namespace fx::emulator
