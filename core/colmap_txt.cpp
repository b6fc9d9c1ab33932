// COLMAP's text model files (cameras.txt, images.txt, points3D.txt), as COLMAP 3.8 writes
// them in src/base/reconstruction.cc. Lines starting with '#' are comments.
//
//   cameras.txt   CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]
//   images.txt    two lines per image:
//                   IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME
//                   POINTS2D[] as (X Y POINT3D_ID), POINT3D_ID -1 = none; may be empty
//   points3D.txt  POINT3D_ID X Y Z R G B ERROR TRACK[] as (IMAGE_ID POINT2D_IDX)
//
// Writing matches COLMAP byte for byte: the same header comments, fields separated by one
// space, doubles as printf("%.17g") (which round-trips every double exactly).
// Reading is a little more forgiving than COLMAP (any run of spaces/tabs separates fields,
// CRLF line ends are fine, the NAME is the rest of the line) but checks everything: every
// error starts with "FILE:LINE:" and says what is wrong and what to do.

#include <charconv>
#include <cmath>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/colmap_model.h"
#include "core/error.h"

namespace muta {
namespace {

constexpr const char* kTextAdvice =
    "fix the line or export the model again, e.g. with `colmap model_converter --output_type "
    "TXT`";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits a trimmed line at runs of white space.
void Split(std::string_view line, std::vector<std::string_view>& tokens) {
  tokens.clear();
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
}

// Iterates over the lines of a text ('\n' separated; a final line without '\n' counts).
class TextLines {
 public:
  explicit TextLines(std::string_view text) : text_(text) {}

  bool Next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t end = text_.find('\n', pos_);
    const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
    line = text_.substr(pos_, stop - pos_);
    pos_ = stop + 1;
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

// A token for an error message: quoted, and shortened if long.
std::string Quote(std::string_view token) {
  constexpr std::size_t kMax = 40;
  std::string out = "'";
  out += token.substr(0, kMax);
  if (token.size() > kMax) out += "...";
  out += "'";
  return out;
}

// Where we are (file and line), and field parsers that fail with that location.
class LineContext {
 public:
  LineContext(const std::string& name, std::size_t line) : name_(name), line_(line) {}

  [[noreturn]] void Fail(const std::string& problem, const char* advice = kTextAdvice) const {
    throw Error(ErrorKind::kUser,
                name_ + ":" + std::to_string(line_) + ": " + problem + " – " + advice, __FILE__,
                __LINE__);
  }

  template <typename T>
  T Unsigned(std::string_view token, const char* field) const {
    T value = 0;
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || ptr != token.data() + token.size()) {
      Fail(std::string(field) + " " + Quote(token) + " is not an integer in 0.." +
           std::to_string(std::numeric_limits<T>::max()));
    }
    return value;
  }

  int PositiveInt(std::string_view token, const char* field) const {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (ec != std::errc() || ptr != token.data() + token.size() || value <= 0) {
      Fail(std::string(field) + " " + Quote(token) + " is not a positive integer");
    }
    return value;
  }

  double Finite(std::string_view token, const char* field) const {
    std::string_view digits = token;
    if (digits.size() > 1 && digits.front() == '+') digits.remove_prefix(1);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value)) {
      Fail(std::string(field) + " " + Quote(token) + " is not a finite number");
    }
    return value;
  }

 private:
  const std::string& name_;
  std::size_t line_;
};

// Skips blank and comment lines; false at the end of the text.
bool NextDataLine(TextLines& lines, std::string_view& line) {
  while (lines.Next(line)) {
    line = Trim(line);
    if (!line.empty() && line.front() != '#') return true;
  }
  return false;
}

std::string KnownModelNames() {
  std::string names;
  for (int id = 0;; ++id) {
    const auto model = CameraModelFromId(id);
    if (!model) break;
    if (!names.empty()) names += ", ";
    names += CameraModelName(*model);
  }
  return names;
}

bool NeedsNormalizing(const Eigen::Quaterniond& q) {
  return std::abs(q.squaredNorm() - 1.0) > 1e-10;
}

// Formats text into a buffer and hands it to `out` in large blocks.
class TextWriter {
 public:
  explicit TextWriter(std::ostream& out) : out_(out) { buffer_.reserve(kFlushBytes + 4096); }
  ~TextWriter() = default;
  TextWriter(const TextWriter&) = delete;
  TextWriter& operator=(const TextWriter&) = delete;

  TextWriter& operator<<(std::string_view text) {
    buffer_.append(text);
    return *this;
  }
  TextWriter& operator<<(char c) {
    buffer_.push_back(c);
    return *this;
  }
  // As std::ostream with precision(17) (printf "%.17g"), which COLMAP uses for all numbers.
  TextWriter& operator<<(double value) {
    char text[40];
    const auto result =
        std::to_chars(text, text + sizeof(text), value, std::chars_format::general, 17);
    buffer_.append(text, result.ptr);
    return *this;
  }
  TextWriter& operator<<(std::uint64_t value) {
    char text[24];
    const auto result = std::to_chars(text, text + sizeof(text), value);
    buffer_.append(text, result.ptr);
    return *this;
  }
  TextWriter& operator<<(std::uint32_t value) { return *this << std::uint64_t{value}; }
  TextWriter& operator<<(int value) {
    char text[16];
    const auto result = std::to_chars(text, text + sizeof(text), value);
    buffer_.append(text, result.ptr);
    return *this;
  }

  void MaybeFlush() {
    if (buffer_.size() >= kFlushBytes) Flush();
  }
  void Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 20;
  std::ostream& out_;
  std::string buffer_;
};

// COLMAP's "observations": points2D that have a 3D point, over all images.
std::size_t NumObservations(const SparseModel& model) {
  std::size_t count = 0;
  for (const auto& [id, image] : model.images) {
    for (std::uint64_t point3d_id : image.point3d_ids) count += point3d_id != kInvalidPoint3DId;
  }
  return count;
}

}  // namespace

void ParseCamerasTxt(std::string_view text, const std::string& name, SparseModel& model) {
  std::map<std::uint32_t, Camera> cameras;
  TextLines lines(text);
  std::string_view line;
  std::vector<std::string_view> tokens;
  while (NextDataLine(lines, line)) {
    const LineContext at(name, lines.number());
    Split(line, tokens);
    if (tokens.size() < 4) {
      at.Fail("expected 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]', found " +
              std::to_string(tokens.size()) + " field(s)");
    }
    Camera camera;
    camera.id = at.Unsigned<std::uint32_t>(tokens[0], "CAMERA_ID");
    const auto camera_model = CameraModelFromName(tokens[1]);
    if (!camera_model) {
      at.Fail("unknown camera MODEL " + Quote(tokens[1]) + " (COLMAP 3.8 knows " +
              KnownModelNames() + ")");
    }
    camera.model = *camera_model;
    camera.width = at.PositiveInt(tokens[2], "WIDTH");
    camera.height = at.PositiveInt(tokens[3], "HEIGHT");
    const auto num_params = static_cast<std::size_t>(CameraModelNumParams(camera.model));
    if (tokens.size() - 4 != num_params) {
      at.Fail("camera model " + std::string(tokens[1]) + " needs " + std::to_string(num_params) +
              " PARAMS, found " + std::to_string(tokens.size() - 4));
    }
    for (std::size_t i = 4; i < tokens.size(); ++i) {
      camera.params.push_back(at.Finite(tokens[i], "PARAMS value"));
    }
    try {
      camera.Check();
    } catch (const Error& e) {
      at.Fail(e.what());
    }
    if (!cameras.emplace(camera.id, camera).second) {
      at.Fail("duplicate CAMERA_ID " + std::to_string(camera.id));
    }
  }
  model.cameras = std::move(cameras);
}

void ParseImagesTxt(std::string_view text, const std::string& name, SparseModel& model) {
  std::map<std::uint32_t, SparseImage> images;
  std::set<std::string, std::less<>> names;
  TextLines lines(text);
  std::string_view line;
  std::vector<std::string_view> tokens;
  while (NextDataLine(lines, line)) {
    const LineContext at(name, lines.number());
    Split(line, tokens);
    if (tokens.size() < 10) {
      at.Fail("expected 'IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME', found " +
              std::to_string(tokens.size()) + " field(s)");
    }
    SparseImage image;
    image.id = at.Unsigned<std::uint32_t>(tokens[0], "IMAGE_ID");
    const double qw = at.Finite(tokens[1], "QW");
    const double qx = at.Finite(tokens[2], "QX");
    const double qy = at.Finite(tokens[3], "QY");
    const double qz = at.Finite(tokens[4], "QZ");
    Eigen::Quaterniond q(qw, qx, qy, qz);
    if (q.squaredNorm() < 1e-20 || !std::isfinite(q.squaredNorm())) {
      at.Fail("the rotation quaternion (QW QX QY QZ) has zero or huge length");
    }
    if (NeedsNormalizing(q)) q.normalize();
    image.cam_from_world.rotation = q;
    for (int k = 0; k < 3; ++k) {
      image.cam_from_world.translation[k] =
          at.Finite(tokens[5 + static_cast<std::size_t>(k)], k == 0   ? "TX"
                                                             : k == 1 ? "TY"
                                                                      : "TZ");
    }
    image.camera_id = at.Unsigned<std::uint32_t>(tokens[8], "CAMERA_ID");
    // The NAME is the rest of the line (COLMAP itself stops at the first space).
    image.name = std::string(line.substr(static_cast<std::size_t>(tokens[9].data() - line.data())));
    if (image.name.find_first_of(std::string_view("\0\r", 2)) != std::string::npos) {
      at.Fail("the image NAME contains a NUL byte or carriage return");
    }
    if (!names.insert(image.name).second) at.Fail("duplicate image NAME " + Quote(image.name));
    if (images.count(image.id) != 0) at.Fail("duplicate IMAGE_ID " + std::to_string(image.id));

    // The second line: POINTS2D[] as (X, Y, POINT3D_ID), possibly empty or missing at the end.
    std::string_view points_line;
    if (!lines.Next(points_line)) points_line = {};
    const LineContext points_at(name, lines.number());
    Split(Trim(points_line), tokens);
    if (tokens.size() % 3 != 0) {
      points_at.Fail("expected the POINTS2D of image " + std::to_string(image.id) +
                         " as 'X Y POINT3D_ID' triples, found " + std::to_string(tokens.size()) +
                         " field(s), not a multiple of 3",
                     "each image takes two lines, the second (possibly empty) listing its "
                     "points; fix the file or export the model again with COLMAP");
    }
    image.points2d.reserve(tokens.size() / 3);
    image.point3d_ids.reserve(tokens.size() / 3);
    for (std::size_t i = 0; i < tokens.size(); i += 3) {
      const double x = points_at.Finite(tokens[i], "X");
      const double y = points_at.Finite(tokens[i + 1], "Y");
      image.points2d.emplace_back(x, y);
      image.point3d_ids.push_back(
          tokens[i + 2] == "-1" ? kInvalidPoint3DId
                                : points_at.Unsigned<std::uint64_t>(tokens[i + 2], "POINT3D_ID"));
    }
    const std::uint32_t id = image.id;
    images.emplace(id, std::move(image));
  }
  model.images = std::move(images);
}

void ParsePoints3DTxt(std::string_view text, const std::string& name, SparseModel& model) {
  std::map<std::uint64_t, SparsePoint> points;
  TextLines lines(text);
  std::string_view line;
  std::vector<std::string_view> tokens;
  while (NextDataLine(lines, line)) {
    const LineContext at(name, lines.number());
    Split(line, tokens);
    if (tokens.size() < 8 || tokens.size() % 2 != 0) {
      at.Fail("expected 'POINT3D_ID X Y Z R G B ERROR' and (IMAGE_ID POINT2D_IDX) pairs, found " +
              std::to_string(tokens.size()) + " field(s)");
    }
    SparsePoint point;
    point.id = at.Unsigned<std::uint64_t>(tokens[0], "POINT3D_ID");
    if (point.id == kInvalidPoint3DId) at.Fail("POINT3D_ID is the reserved 'no point' value");
    point.xyz.x() = at.Finite(tokens[1], "X");
    point.xyz.y() = at.Finite(tokens[2], "Y");
    point.xyz.z() = at.Finite(tokens[3], "Z");
    for (int k = 0; k < 3; ++k) {
      const auto value =
          at.Unsigned<std::uint32_t>(tokens[4 + static_cast<std::size_t>(k)], k == 0   ? "R"
                                                                              : k == 1 ? "G"
                                                                                       : "B");
      if (value > 255) at.Fail("colour value " + std::to_string(value) + " is not in 0..255");
      point.color[k] = static_cast<std::uint8_t>(value);
    }
    point.error = at.Finite(tokens[7], "ERROR");
    point.track.reserve((tokens.size() - 8) / 2);
    for (std::size_t i = 8; i < tokens.size(); i += 2) {
      TrackElement element;
      element.image_id = at.Unsigned<std::uint32_t>(tokens[i], "track IMAGE_ID");
      element.point2d_idx = at.Unsigned<std::uint32_t>(tokens[i + 1], "track POINT2D_IDX");
      point.track.push_back(element);
    }
    const std::uint64_t id = point.id;
    if (!points.emplace(id, std::move(point)).second) {
      at.Fail("duplicate POINT3D_ID " + std::to_string(id));
    }
  }
  model.points = std::move(points);
}

void WriteCamerasTxt(const SparseModel& model, std::ostream& out) {
  TextWriter w(out);
  w << "# Camera list with one line of data per camera:\n"
    << "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n"
    << "# Number of cameras: " << std::uint64_t{model.cameras.size()} << '\n';
  for (const auto& [id, camera] : model.cameras) {
    w << id << ' ' << CameraModelName(camera.model) << ' ' << camera.width << ' ' << camera.height;
    for (double p : camera.params) w << ' ' << p;
    w << '\n';
  }
  w.Flush();
}

void WriteImagesTxt(const SparseModel& model, std::ostream& out) {
  const std::size_t num_observations = NumObservations(model);
  const double mean_observations =
      model.images.empty()
          ? 0.0
          : static_cast<double>(num_observations) / static_cast<double>(model.images.size());
  TextWriter w(out);
  w << "# Image list with two lines of data per image:\n"
    << "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
    << "#   POINTS2D[] as (X, Y, POINT3D_ID)\n"
    << "# Number of images: " << std::uint64_t{model.images.size()}
    << ", mean observations per image: " << mean_observations << '\n';
  for (const auto& [id, image] : model.images) {
    const std::string& name = image.name;
    MUTA_CHECK(!name.empty() &&
               name.find_first_of(std::string_view("\n\r\0", 3)) == std::string::npos &&
               !IsSpace(name.front()) && !IsSpace(name.back()))
        << "image " << id << ": the name '" << name
        << "' is empty or has a line break, NUL byte or leading/trailing white space, which "
           "images.txt cannot store – rename the image or write the binary format";
    MUTA_CHECK(image.points2d.size() == image.point3d_ids.size())
        << "image " << id << ": " << image.points2d.size() << " points2D but "
        << image.point3d_ids.size() << " point3D ids";
    Eigen::Quaterniond q = image.cam_from_world.rotation;
    if (NeedsNormalizing(q)) q.normalize();
    const Eigen::Vector3d& t = image.cam_from_world.translation;
    w << id << ' ' << q.w() << ' ' << q.x() << ' ' << q.y() << ' ' << q.z() << ' ' << t.x() << ' '
      << t.y() << ' ' << t.z() << ' ' << image.camera_id << ' ' << name << '\n';
    for (std::size_t j = 0; j < image.points2d.size(); ++j) {
      if (j > 0) w << ' ';
      w << image.points2d[j].x() << ' ' << image.points2d[j].y() << ' ';
      if (image.point3d_ids[j] == kInvalidPoint3DId) {
        w << "-1";
      } else {
        w << image.point3d_ids[j];
      }
    }
    w << '\n';
    w.MaybeFlush();
  }
  w.Flush();
}

void WritePoints3DTxt(const SparseModel& model, std::ostream& out) {
  const std::size_t num_observations = NumObservations(model);
  const double mean_track_length =
      model.points.empty()
          ? 0.0
          : static_cast<double>(num_observations) / static_cast<double>(model.points.size());
  TextWriter w(out);
  w << "# 3D point list with one line of data per point:\n"
    << "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n"
    << "# Number of points: " << std::uint64_t{model.points.size()}
    << ", mean track length: " << mean_track_length << '\n';
  for (const auto& [id, point] : model.points) {
    w << id;
    for (int k = 0; k < 3; ++k) w << ' ' << point.xyz[k];
    for (int k = 0; k < 3; ++k) w << ' ' << static_cast<int>(point.color[k]);
    // COLMAP writes "ERROR " and then the track, so an empty track leaves a trailing space.
    w << ' ' << point.error << ' ';
    for (std::size_t j = 0; j < point.track.size(); ++j) {
      if (j > 0) w << ' ';
      w << point.track[j].image_id << ' ' << point.track[j].point2d_idx;
    }
    w << '\n';
    w.MaybeFlush();
  }
  w.Flush();
}

}  // namespace muta
