// COLMAP's binary model files (cameras.bin, images.bin, points3D.bin), as COLMAP 3.8 writes
// them in src/base/reconstruction.cc: little-endian, no header, no padding.
//
//   cameras.bin   uint64 count; per camera: uint32 CAMERA_ID, int32 MODEL_ID, uint64 WIDTH,
//                 uint64 HEIGHT, double PARAMS[n(model)]
//   images.bin    uint64 count; per image: uint32 IMAGE_ID, double QW QX QY QZ TX TY TZ,
//                 uint32 CAMERA_ID, NAME + '\0', uint64 num_points2D,
//                 then per point2D: double X, double Y, uint64 POINT3D_ID (max = none)
//   points3D.bin  uint64 count; per point: uint64 POINT3D_ID, double X Y Z, uint8 R G B,
//                 double ERROR, uint64 track_length,
//                 then per element: uint32 IMAGE_ID, uint32 POINT2D_IDX
//
// The parsers trust nothing: every read is bounds-checked, every count is checked against the
// bytes left before anything is reserved, and every failure is a muta::Error that starts with
// the file name and says where (byte offset, record) and what to do.

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <set>
#include <string>

#include "core/colmap_model.h"
#include "core/error.h"

namespace muta {
namespace {

// Smallest possible size in bytes of one record of each file (fixed part only), used to
// bound counts before reserving memory.
constexpr std::size_t kMinCameraBytes = 4 + 4 + 8 + 8;
constexpr std::size_t kMinImageBytes = 4 + 7 * 8 + 4 + 1 + 8;
constexpr std::size_t kPoint2DBytes = 8 + 8 + 8;
constexpr std::size_t kMinPointBytes = 8 + 3 * 8 + 3 + 8 + 8;
constexpr std::size_t kTrackElementBytes = 4 + 4;

constexpr const char* kTruncatedAdvice =
    "the file is truncated (an interrupted copy or write?); copy or export the model again";
constexpr const char* kCorruptAdvice =
    "the file is corrupt or not a COLMAP binary model file; export the model again, e.g. with "
    "`colmap model_converter --output_type BIN`";

// A bounds-checked little-endian reader over one file's bytes. It remembers which record it
// is in so that every error can say where it happened.
class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> bytes, const std::string& name)
      : bytes_(bytes), name_(name) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }

  // Starts record `index` (0-based) of `count` records of kind `kind` ("camera", ...).
  void BeginRecord(const char* kind, std::uint64_t index, std::uint64_t count) {
    kind_ = kind;
    index_ = index;
    count_ = count;
    has_id_ = false;
  }
  void SetRecordId(std::uint64_t id) {
    id_ = id;
    has_id_ = true;
  }

  std::uint8_t U8(const char* field) {
    Need(1, field);
    return bytes_[pos_++];
  }
  std::uint32_t U32(const char* field) { return static_cast<std::uint32_t>(Le(4, field)); }
  std::int32_t I32(const char* field) { return static_cast<std::int32_t>(U32(field)); }
  std::uint64_t U64(const char* field) { return Le(8, field); }
  double F64(const char* field) { return std::bit_cast<double>(Le(8, field)); }
  // A double that must be finite (NaN/inf are corruption: COLMAP never writes them).
  double FiniteF64(const char* field) {
    const double value = F64(field);
    if (!std::isfinite(value)) {
      pos_ -= 8;
      Fail(std::string(field) + " is not a finite number", kCorruptAdvice);
    }
    return value;
  }

  // A NUL-terminated string (the terminator is consumed, not returned).
  std::string CString(const char* field) {
    const void* nul = std::memchr(bytes_.data() + pos_, 0, remaining());
    if (nul == nullptr) {
      Fail(std::string(field) + " has no terminating NUL byte before the end of the file",
           kTruncatedAdvice);
    }
    const auto* end = static_cast<const std::uint8_t*>(nul);
    std::string text(reinterpret_cast<const char*>(bytes_.data() + pos_),
                     static_cast<std::size_t>(end - (bytes_.data() + pos_)));
    pos_ += text.size() + 1;
    return text;
  }

  // Checks that `count` items of at least `item_bytes` bytes each fit in the rest of the file,
  // so that a corrupt count can never make us reserve absurd amounts of memory.
  void CheckCount(std::uint64_t count, std::size_t item_bytes, const char* what) {
    if (count > remaining() / item_bytes) {
      Fail("the file says it holds " + std::to_string(count) + " " + what + ", but only " +
               std::to_string(remaining()) + " bytes are left (at least " +
               std::to_string(item_bytes) + " bytes each)",
           "the count is corrupt or the file is truncated; export or copy the model again");
    }
  }

  // Checks that nothing follows the last record (a count that is too small, or garbage).
  void ExpectEnd(const char* what) {
    if (remaining() != 0) {
      kind_ = nullptr;
      Fail(std::to_string(remaining()) + " unexpected bytes after the last " + what +
               " (the count at the start of the file is wrong or data was appended)",
           kCorruptAdvice);
    }
  }

  [[noreturn]] void Fail(const std::string& problem, const char* advice) const {
    std::string message = name_ + ": " + problem + " (at byte " + std::to_string(pos_) + " of " +
                          std::to_string(bytes_.size());
    if (kind_ != nullptr) {
      message += ", in " + std::string(kind_) + " record " + std::to_string(index_ + 1) + " of " +
                 std::to_string(count_);
      if (has_id_) message += " with id " + std::to_string(id_);
    }
    message += ") – ";
    message += advice;
    throw Error(ErrorKind::kUser, message, __FILE__, __LINE__);
  }

 private:
  void Need(std::size_t size, const char* field) const {
    if (remaining() < size) {
      Fail("unexpected end of file while reading " + std::string(field) + " (" +
               std::to_string(size) + " bytes needed, " + std::to_string(remaining()) + " left)",
           kTruncatedAdvice);
    }
  }
  std::uint64_t Le(std::size_t size, const char* field) {
    Need(size, field);
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) {
      value |= static_cast<std::uint64_t>(bytes_[pos_ + i]) << (8 * i);
    }
    pos_ += size;
    return value;
  }

  std::span<const std::uint8_t> bytes_;
  const std::string& name_;
  std::size_t pos_ = 0;
  const char* kind_ = nullptr;
  std::uint64_t index_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t id_ = 0;
  bool has_id_ = false;
};

// Unit quaternions are kept bit for bit (so that reading and writing a file reproduces it);
// others are normalised, as COLMAP does.
bool NeedsNormalizing(const Eigen::Quaterniond& q) {
  return std::abs(q.squaredNorm() - 1.0) > 1e-10;
}

// Collects little-endian bytes and hands them to `out` in large blocks.
class ByteWriter {
 public:
  explicit ByteWriter(std::ostream& out) : out_(out) { buffer_.reserve(kFlushBytes + 256); }
  ~ByteWriter() = default;
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  void U8(std::uint8_t value) { buffer_.push_back(static_cast<char>(value)); }
  void U32(std::uint32_t value) { Le(value, 4); }
  void I32(std::int32_t value) { Le(static_cast<std::uint32_t>(value), 4); }
  void U64(std::uint64_t value) { Le(value, 8); }
  void F64(double value) { Le(std::bit_cast<std::uint64_t>(value), 8); }
  void Bytes(std::string_view bytes) { buffer_.append(bytes); }

  // Writes out the buffer if it is large (call between records).
  void MaybeFlush() {
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  void Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;

  void Le(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) buffer_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }

  std::ostream& out_;
  std::string buffer_;
};

}  // namespace

void ParseCamerasBin(std::span<const std::uint8_t> bytes, const std::string& name,
                     SparseModel& model) {
  ByteReader in(bytes, name);
  const std::uint64_t count = in.U64("the number of cameras");
  in.CheckCount(count, kMinCameraBytes, "cameras");
  std::map<std::uint32_t, Camera> cameras;
  for (std::uint64_t i = 0; i < count; ++i) {
    in.BeginRecord("camera", i, count);
    Camera camera;
    camera.id = in.U32("CAMERA_ID");
    in.SetRecordId(camera.id);
    const std::int32_t model_id = in.I32("MODEL_ID");
    const auto camera_model = CameraModelFromId(model_id);
    if (!camera_model) {
      in.Fail("unknown camera model id " + std::to_string(model_id) +
                  " (COLMAP 3.8 knows 0 SIMPLE_PINHOLE to 10 THIN_PRISM_FISHEYE)",
              "the file is corrupt or was written by an incompatible program; export the model "
              "again with COLMAP 3.8");
    }
    camera.model = *camera_model;
    const std::uint64_t width = in.U64("WIDTH");
    const std::uint64_t height = in.U64("HEIGHT");
    constexpr auto kMaxSize = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
    if (width == 0 || height == 0 || width > kMaxSize || height > kMaxSize) {
      in.Fail(
          "image size " + std::to_string(width) + "x" + std::to_string(height) + " is out of range",
          kCorruptAdvice);
    }
    camera.width = static_cast<int>(width);
    camera.height = static_cast<int>(height);
    const int num_params = CameraModelNumParams(camera.model);
    camera.params.reserve(static_cast<std::size_t>(num_params));
    for (int p = 0; p < num_params; ++p) camera.params.push_back(in.FiniteF64("PARAMS"));
    try {
      camera.Check();
    } catch (const Error& e) {
      in.Fail(e.what(), kCorruptAdvice);
    }
    if (!cameras.emplace(camera.id, camera).second) {
      in.Fail("duplicate CAMERA_ID " + std::to_string(camera.id), kCorruptAdvice);
    }
  }
  in.ExpectEnd("camera");
  model.cameras = std::move(cameras);
}

void ParseImagesBin(std::span<const std::uint8_t> bytes, const std::string& name,
                    SparseModel& model) {
  ByteReader in(bytes, name);
  const std::uint64_t count = in.U64("the number of images");
  in.CheckCount(count, kMinImageBytes, "images");
  std::map<std::uint32_t, SparseImage> images;
  std::set<std::string> names;
  for (std::uint64_t i = 0; i < count; ++i) {
    in.BeginRecord("image", i, count);
    SparseImage image;
    image.id = in.U32("IMAGE_ID");
    in.SetRecordId(image.id);
    const double qw = in.FiniteF64("QW");
    const double qx = in.FiniteF64("QX");
    const double qy = in.FiniteF64("QY");
    const double qz = in.FiniteF64("QZ");
    Eigen::Quaterniond q(qw, qx, qy, qz);
    if (q.squaredNorm() < 1e-20 || !std::isfinite(q.squaredNorm())) {
      in.Fail("the rotation quaternion (QW QX QY QZ) has zero or huge length", kCorruptAdvice);
    }
    if (NeedsNormalizing(q)) q.normalize();
    image.cam_from_world.rotation = q;
    image.cam_from_world.translation.x() = in.FiniteF64("TX");
    image.cam_from_world.translation.y() = in.FiniteF64("TY");
    image.cam_from_world.translation.z() = in.FiniteF64("TZ");
    image.camera_id = in.U32("CAMERA_ID");
    image.name = in.CString("the image NAME");
    if (image.name.empty()) in.Fail("the image NAME is empty", kCorruptAdvice);
    const std::uint64_t num_points2d = in.U64("the number of points2D");
    in.CheckCount(num_points2d, kPoint2DBytes, "points2D");
    image.points2d.reserve(num_points2d);
    image.point3d_ids.reserve(num_points2d);
    for (std::uint64_t j = 0; j < num_points2d; ++j) {
      const double x = in.FiniteF64("a point2D's X");
      const double y = in.FiniteF64("a point2D's Y");
      image.points2d.emplace_back(x, y);
      image.point3d_ids.push_back(in.U64("a point2D's POINT3D_ID"));
    }
    if (!names.insert(image.name).second) {
      in.Fail("duplicate image NAME '" + image.name + "'", kCorruptAdvice);
    }
    const std::uint32_t id = image.id;
    if (!images.emplace(id, std::move(image)).second) {
      in.Fail("duplicate IMAGE_ID " + std::to_string(id), kCorruptAdvice);
    }
  }
  in.ExpectEnd("image");
  model.images = std::move(images);
}

void ParsePoints3DBin(std::span<const std::uint8_t> bytes, const std::string& name,
                      SparseModel& model) {
  ByteReader in(bytes, name);
  const std::uint64_t count = in.U64("the number of 3D points");
  in.CheckCount(count, kMinPointBytes, "3D points");
  std::map<std::uint64_t, SparsePoint> points;
  for (std::uint64_t i = 0; i < count; ++i) {
    in.BeginRecord("3D point", i, count);
    SparsePoint point;
    point.id = in.U64("POINT3D_ID");
    in.SetRecordId(point.id);
    if (point.id == kInvalidPoint3DId) {
      in.Fail("POINT3D_ID is the reserved 'no point' value 2^64-1", kCorruptAdvice);
    }
    point.xyz.x() = in.FiniteF64("X");
    point.xyz.y() = in.FiniteF64("Y");
    point.xyz.z() = in.FiniteF64("Z");
    point.color[0] = in.U8("R");
    point.color[1] = in.U8("G");
    point.color[2] = in.U8("B");
    point.error = in.FiniteF64("ERROR");
    const std::uint64_t track_length = in.U64("the track length");
    in.CheckCount(track_length, kTrackElementBytes, "track elements");
    point.track.reserve(track_length);
    for (std::uint64_t j = 0; j < track_length; ++j) {
      TrackElement element;
      element.image_id = in.U32("a track element's IMAGE_ID");
      element.point2d_idx = in.U32("a track element's POINT2D_IDX");
      point.track.push_back(element);
    }
    const std::uint64_t id = point.id;
    if (!points.emplace(id, std::move(point)).second) {
      in.Fail("duplicate POINT3D_ID " + std::to_string(id), kCorruptAdvice);
    }
  }
  in.ExpectEnd("3D point");
  model.points = std::move(points);
}

void WriteCamerasBin(const SparseModel& model, std::ostream& out) {
  ByteWriter w(out);
  w.U64(model.cameras.size());
  for (const auto& [id, camera] : model.cameras) {
    w.U32(id);
    w.I32(static_cast<std::int32_t>(camera.model));
    w.U64(static_cast<std::uint64_t>(camera.width));
    w.U64(static_cast<std::uint64_t>(camera.height));
    for (double p : camera.params) w.F64(p);
  }
  w.Flush();
}

void WriteImagesBin(const SparseModel& model, std::ostream& out) {
  ByteWriter w(out);
  w.U64(model.images.size());
  for (const auto& [id, image] : model.images) {
    MUTA_CHECK(image.name.find('\0') == std::string::npos)
        << "image " << id << ": the name contains a NUL byte, which images.bin cannot store";
    MUTA_CHECK(image.points2d.size() == image.point3d_ids.size())
        << "image " << id << ": " << image.points2d.size() << " points2D but "
        << image.point3d_ids.size() << " point3D ids";
    Eigen::Quaterniond q = image.cam_from_world.rotation;
    if (NeedsNormalizing(q)) q.normalize();
    w.U32(id);
    w.F64(q.w());
    w.F64(q.x());
    w.F64(q.y());
    w.F64(q.z());
    for (int k = 0; k < 3; ++k) w.F64(image.cam_from_world.translation[k]);
    w.U32(image.camera_id);
    w.Bytes(image.name);
    w.U8(0);
    w.U64(image.points2d.size());
    for (std::size_t j = 0; j < image.points2d.size(); ++j) {
      w.F64(image.points2d[j].x());
      w.F64(image.points2d[j].y());
      w.U64(image.point3d_ids[j]);
      w.MaybeFlush();
    }
  }
  w.Flush();
}

void WritePoints3DBin(const SparseModel& model, std::ostream& out) {
  ByteWriter w(out);
  w.U64(model.points.size());
  for (const auto& [id, point] : model.points) {
    w.U64(id);
    for (int k = 0; k < 3; ++k) w.F64(point.xyz[k]);
    for (int k = 0; k < 3; ++k) w.U8(point.color[k]);
    w.F64(point.error);
    w.U64(point.track.size());
    for (const TrackElement& element : point.track) {
      w.U32(element.image_id);
      w.U32(element.point2d_idx);
    }
    w.MaybeFlush();
  }
  w.Flush();
}

}  // namespace muta
