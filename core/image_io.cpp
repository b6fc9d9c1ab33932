#include "core/image_io.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <string_view>

#include <OpenImageIO/filesystem.h>
#include <OpenImageIO/imagebuf.h>
#include <OpenImageIO/imagebufalgo.h>
#include <OpenImageIO/imageio.h>

#include "core/error.h"
#include "core/file_io.h"

namespace muta {
namespace fs = std::filesystem;

namespace {

// Largest image we decode (pixels). A 150-megapixel photograph fits; a forged header asking for
// terabytes is refused before anything is allocated.
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 28;

// Formats recognised from their first bytes. Anything else read from a file is offered to
// OpenImageIO's own format detection; anything else in memory is refused.
enum class Signature { kUnknown, kJpeg, kPng, kTiff };

Signature Sniff(std::span<const std::uint8_t> b) {
  if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Signature::kJpeg;
  static constexpr std::array<std::uint8_t, 8> kPng = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= kPng.size() && std::equal(kPng.begin(), kPng.end(), b.begin())) {
    return Signature::kPng;
  }
  if (b.size() >= 4 && ((b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0) ||
                        (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43)))) {
    return Signature::kTiff;
  }
  return Signature::kUnknown;
}

const char* OiioFormatName(Signature s) {
  switch (s) {
    case Signature::kJpeg:
      return "jpeg";
    case Signature::kPng:
      return "png";
    case Signature::kTiff:
      return "tiff";
    case Signature::kUnknown:
      break;
  }
  return "";
}

const char* DisplayName(Signature s) {
  switch (s) {
    case Signature::kJpeg:
      return "JPEG";
    case Signature::kPng:
      return "PNG";
    case Signature::kTiff:
      return "TIFF";
    case Signature::kUnknown:
      break;
  }
  return "image";
}

// "starts with 68 65 6c 6c 6f 20 77 6f" – for messages about unrecognised data.
std::string DescribeStart(std::span<const std::uint8_t> b) {
  if (b.empty()) return "the file is empty";
  std::string text = "it starts with";
  char hex[4];
  for (std::size_t i = 0; i < std::min<std::size_t>(b.size(), 8); ++i) {
    std::snprintf(hex, sizeof(hex), " %02x", b[i]);
    text += hex;
  }
  return text;
}

// OpenImageIO error text on one line.
std::string OneLine(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "; ";
    } else {
      out += c;
    }
  }
  return out.empty() ? "no details" : out;
}

// Pending error of an ImageInput/ImageOutput (or OIIO's global one when `io` is null), cleared.
template <typename Io>
std::string TakeError(const Io* io) {
  return OneLine(io != nullptr ? io->geterror() : OIIO::geterror());
}

std::uint32_t BigEndian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Walks the JPEG marker structure from SOI and returns true if an EOI marker is reached (data
// after EOI, such as an appended video, is allowed). libjpeg only warns about a missing end and
// fills the rest of the picture with grey; this catches truncation wherever it falls.
bool JpegReachesEnd(std::span<const std::uint8_t> b) {
  if (b.size() < 4 || b[0] != 0xFF || b[1] != 0xD8) return false;
  std::size_t pos = 2;
  while (pos + 2 <= b.size()) {
    if (b[pos] != 0xFF) {  // stray byte between segments (libjpeg tolerates these)
      ++pos;
      continue;
    }
    const std::uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD9) return true;  // EOI
    if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;  // stuffed byte, TEM or RSTn: no length field
      continue;
    }
    if (pos + 4 > b.size()) return false;
    const std::size_t length = (std::size_t{b[pos + 2]} << 8) | b[pos + 3];
    if (length < 2) return false;
    pos += 2 + length;
    if (marker == 0xDA) {  // SOS: entropy-coded data runs to the next real marker
      while (pos + 1 < b.size()) {
        if (b[pos] == 0xFF && b[pos + 1] != 0x00 && !(b[pos + 1] >= 0xD0 && b[pos + 1] <= 0xD7)) {
          break;
        }
        ++pos;
      }
    }
  }
  return false;
}

// Walks the PNG chunks and returns true if the IEND chunk is present in full.
bool PngReachesEnd(std::span<const std::uint8_t> b) {
  std::size_t pos = 8;
  while (pos + 12 <= b.size()) {
    const std::uint64_t length = BigEndian32(&b[pos]);
    const bool iend =
        b[pos + 4] == 'I' && b[pos + 5] == 'E' && b[pos + 6] == 'N' && b[pos + 7] == 'D';
    const std::uint64_t next = pos + 12 + length;
    if (next > b.size()) return false;
    if (iend) return true;
    pos = static_cast<std::size_t>(next);
  }
  return false;
}

// Truncation checks that the codec libraries do not make themselves.
void CheckComplete(Signature signature, std::span<const std::uint8_t> bytes,
                   const std::string& name) {
  if (signature == Signature::kJpeg) {
    MUTA_CHECK(JpegReachesEnd(bytes))
        << name << ": truncated or corrupt JPEG (no end-of-image marker); copy the file again";
  } else if (signature == Signature::kPng) {
    MUTA_CHECK(PngReachesEnd(bytes))
        << name << ": truncated or corrupt PNG (no IEND chunk); copy the file again";
  }
}

// Configuration hints for every reader: keep PNG alpha unassociated so RGBA round-trips exactly.
OIIO::ImageSpec ReadConfig() {
  OIIO::ImageSpec config;
  config.attribute("oiio:UnassociatedAlpha", 1);
  return config;
}

// Converts interleaved 8-bit pixels with `src_channels` (1..4: grey, grey+alpha, RGB, RGBA) to
// `dst_channels` (1, 3 or 4). Grey is replicated, alpha dropped or set opaque, RGB to grey uses
// the BT.601 weights libjpeg uses.
Image ConvertChannels(int width, int height, int src_channels, const std::uint8_t* src,
                      int dst_channels) {
  Image out(width, height, dst_channels);
  const std::size_t count = std::size_t(width) * height;
  const bool src_colour = src_channels >= 3;
  const bool src_alpha = src_channels == 2 || src_channels == 4;
  std::uint8_t* dst = out.pixels.data();
  for (std::size_t i = 0; i < count; ++i, src += src_channels, dst += dst_channels) {
    const std::uint8_t r = src[0];
    const std::uint8_t g = src_colour ? src[1] : src[0];
    const std::uint8_t b = src_colour ? src[2] : src[0];
    const std::uint8_t a = src_alpha ? src[src_channels - 1] : 255;
    if (dst_channels == 1) {
      dst[0] = src_colour ? static_cast<std::uint8_t>((77 * r + 150 * g + 29 * b + 128) >> 8) : r;
    } else {
      dst[0] = r;
      dst[1] = g;
      dst[2] = b;
      if (dst_channels == 4) dst[3] = a;
    }
  }
  return out;
}

void CheckChannelsArgument(int channels) {
  MUTA_CHECK(channels == 0 || channels == 1 || channels == 3 || channels == 4)
      << "image channels must be 0 (as stored), 1, 3 or 4, not " << channels;
}

// Decodes the first subimage of an opened reader to 8 bits with `channels` channels.
Image DecodeOpened(OIIO::ImageInput& in, const std::string& name, const char* what, int channels) {
  const OIIO::ImageSpec spec = in.spec();
  MUTA_CHECK(spec.width > 0 && spec.height > 0 && spec.depth == 1 && spec.nchannels > 0)
      << name << ": " << what << " has unsupported dimensions " << spec.width << "x" << spec.height
      << "x" << spec.depth << " with " << spec.nchannels << " channels";
  const std::uint64_t pixels = std::uint64_t(spec.width) * std::uint64_t(spec.height);
  MUTA_CHECK(pixels <= kMaxPixels)
      << name << ": " << what << " is too large (" << spec.width << "x" << spec.height
      << " pixels; at most " << kMaxPixels << " pixels are supported)";
  const int stored = std::min(spec.nchannels, 4);
  std::vector<std::uint8_t> raw(pixels * stored);
  const bool ok = in.read_image(0, 0, 0, stored, OIIO::TypeDesc::UINT8, raw.data());
  // libjpeg reports damage as a warning and read_image still succeeds: any pending error counts.
  const bool damaged = !ok || in.has_error();
  MUTA_CHECK(!damaged) << name << ": corrupt or truncated " << what << " (" << TakeError(&in)
                       << ")";
  int wanted = channels;
  if (wanted == 0) wanted = stored == 2 ? 4 : stored;
  if (wanted == stored) {
    Image out;
    out.width = spec.width;
    out.height = spec.height;
    out.channels = stored;
    out.pixels = std::move(raw);
    return out;
  }
  return ConvertChannels(spec.width, spec.height, stored, raw.data(), wanted);
}

// Creates a reader for a known signature, reading from `proxy`.
std::unique_ptr<OIIO::ImageInput> OpenFromMemory(Signature signature,
                                                 OIIO::Filesystem::IOProxy* proxy,
                                                 const std::string& name) {
  auto in = OIIO::ImageInput::create(OiioFormatName(signature));
  MUTA_CHECK(in != nullptr) << name << ": this OpenImageIO has no " << DisplayName(signature)
                            << " reader (" << TakeError<OIIO::ImageInput>(nullptr) << ")";
  MUTA_CHECK(in->set_ioproxy(proxy))
      << name << ": OpenImageIO cannot read " << DisplayName(signature) << " from memory";
  OIIO::ImageSpec spec;
  const bool opened = in->open(name, spec, ReadConfig());
  MUTA_CHECK(opened && !in->has_error())
      << name << ": corrupt " << DisplayName(signature) << " (" << TakeError(in.get()) << ")";
  return in;
}

Image DecodeKnown(Signature signature, std::span<const std::uint8_t> bytes, const std::string& name,
                  int channels) {
  CheckComplete(signature, bytes, name);
  OIIO::Filesystem::IOMemReader proxy(bytes.data(), bytes.size());
  auto in = OpenFromMemory(signature, &proxy, name);
  Image image = DecodeOpened(*in, name, DisplayName(signature), channels);
  in->close();
  return image;
}

// Opens a file whose signature we do not know with OpenImageIO's own format detection.
std::unique_ptr<OIIO::ImageInput> OpenOther(const fs::path& path,
                                            std::span<const std::uint8_t> head) {
  const std::string name = path.string();
  MUTA_CHECK(!head.empty()) << name << ": not an image OIIO can read (the file is empty)";
  const OIIO::ImageSpec config = ReadConfig();
  auto in = OIIO::ImageInput::open(name, &config);
  if (in == nullptr) {
    const std::string why = TakeError<OIIO::ImageInput>(nullptr);
    MUTA_FAIL << name << ": not an image OIIO can read (" << DescribeStart(head)
              << "; OIIO: " << why << ")";
  }
  return in;
}

std::vector<std::uint8_t> ReadHead(const fs::path& path, std::size_t size) {
  std::error_code ec;
  MUTA_CHECK(fs::exists(path, ec)) << path.string() << ": no such file";
  MUTA_CHECK(!fs::is_directory(path, ec)) << path.string() << ": is a directory, expected an image";
  std::ifstream in(path, std::ios::binary);
  MUTA_CHECK(in.good()) << path.string() << ": cannot open for reading";
  std::vector<std::uint8_t> head(size);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(size));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

std::optional<double> PositiveFloat(const OIIO::ImageSpec& spec, const char* name) {
  const OIIO::ParamValue* p = spec.find_attribute(name);
  if (p == nullptr) return std::nullopt;
  const double v = p->get_float(0.0f);
  if (!(v > 0.0) || !std::isfinite(v)) return std::nullopt;  // EXIF uses 0 for "unknown"
  return v;
}

// EXIF GPS coordinates are three rationals (degrees, minutes, seconds) and a reference letter.
std::optional<double> GpsDegrees(const OIIO::ImageSpec& spec, const char* name, const char* ref,
                                 char negative_ref, double limit) {
  const OIIO::ParamValue* p = spec.find_attribute(name);
  if (p == nullptr) return std::nullopt;
  const int n = static_cast<int>(p->type().numelements()) * p->type().aggregate * p->nvalues();
  if (n < 1) return std::nullopt;
  double deg = p->get_float_indexed(0);
  if (n >= 2) deg += p->get_float_indexed(1) / 60.0;
  if (n >= 3) deg += p->get_float_indexed(2) / 3600.0;
  if (!std::isfinite(deg) || deg > limit || deg < 0) return std::nullopt;
  const std::string r = spec.get_string_attribute(ref);
  if (!r.empty() && std::toupper(static_cast<unsigned char>(r[0])) == negative_ref) deg = -deg;
  return deg;
}

ImageInfo InfoFromSpec(const OIIO::ImageSpec& spec, const std::string& format) {
  ImageInfo info;
  info.width = spec.width;
  info.height = spec.height;
  info.channels = spec.nchannels;
  info.format = format;
  info.focal_length_mm = PositiveFloat(spec, "Exif:FocalLength");
  info.focal_length_35mm = PositiveFloat(spec, "Exif:FocalLengthIn35mmFilm");
  info.focal_plane_x_res = PositiveFloat(spec, "Exif:FocalPlaneXResolution");
  if (const OIIO::ParamValue* p = spec.find_attribute("Exif:FocalPlaneResolutionUnit")) {
    info.focal_plane_res_unit = p->get_int(0);
  }
  info.camera_make = spec.get_string_attribute("Make");
  info.camera_model = spec.get_string_attribute("Model");
  info.orientation = spec.get_int_attribute("Orientation", 1);
  if (info.orientation < 1 || info.orientation > 8) info.orientation = 1;
  info.gps_latitude_deg = GpsDegrees(spec, "GPS:Latitude", "GPS:LatitudeRef", 'S', 90.0);
  info.gps_longitude_deg = GpsDegrees(spec, "GPS:Longitude", "GPS:LongitudeRef", 'W', 180.0);
  if (info.gps_latitude_deg && info.gps_longitude_deg) {
    if (const OIIO::ParamValue* p = spec.find_attribute("GPS:Altitude")) {
      const double alt = p->get_float(0.0f);
      if (std::isfinite(alt)) {
        info.gps_altitude_m = spec.get_int_attribute("GPS:AltitudeRef", 0) == 1 ? -alt : alt;
      }
    }
  }
  return info;
}

void CheckImage(const Image& image, const std::string& name) {
  MUTA_CHECK(image.width > 0 && image.height > 0)
      << name << ": cannot write an empty image (" << image.width << "x" << image.height << ")";
  MUTA_CHECK(image.channels >= 1 && image.channels <= 4)
      << name << ": cannot write an image with " << image.channels << " channels (1 to 4)";
  MUTA_CHECK(image.pixels.size() == std::size_t(image.width) * image.height * image.channels)
      << name << ": image has " << image.pixels.size() << " bytes of pixels, expected "
      << std::size_t(image.width) * image.height * image.channels;
}

// Encodes with OpenImageIO into memory; `format` is "jpeg" or "png". EXIF fields of `options`
// are written for JPEG.
std::vector<std::uint8_t> Encode(const Image& image, const std::string& format,
                                 const ImageWriteOptions& options, const std::string& name) {
  CheckImage(image, name);
  MUTA_CHECK(format == "jpeg" || format == "png")
      << name << ": cannot encode images as '" << format << "'; use jpeg or png";
  const bool jpeg = format == "jpeg";
  MUTA_CHECK(!jpeg || (options.jpeg_quality >= 1 && options.jpeg_quality <= 100))
      << name << ": JPEG quality must be 1 to 100, not " << options.jpeg_quality;

  // JPEG has no alpha: write grey or RGB.
  const Image* source = &image;
  Image converted;
  if (jpeg && (image.channels == 2 || image.channels == 4)) {
    converted = ConvertChannels(image.width, image.height, image.channels, image.pixels.data(),
                                image.channels == 2 ? 1 : 3);
    source = &converted;
  }

  OIIO::ImageSpec spec(source->width, source->height, source->channels, OIIO::TypeDesc::UINT8);
  if (jpeg) {
    spec.attribute("Compression", "jpeg:" + std::to_string(options.jpeg_quality));
    if (options.focal_length_mm) {
      spec.attribute("Exif:FocalLength", static_cast<float>(*options.focal_length_mm));
    }
    if (options.focal_length_35mm) {
      spec.attribute("Exif:FocalLengthIn35mmFilm",
                     static_cast<int>(std::lround(*options.focal_length_35mm)));
    }
  } else {
    spec.attribute("oiio:UnassociatedAlpha", 1);  // our alpha is straight, not premultiplied
  }
  if (!options.camera_make.empty()) spec.attribute("Make", options.camera_make);
  if (!options.camera_model.empty()) spec.attribute("Model", options.camera_model);

  std::vector<unsigned char> buffer;
  OIIO::Filesystem::IOVecOutput proxy(buffer);
  auto out = OIIO::ImageOutput::create(format);
  MUTA_CHECK(out != nullptr) << name << ": this OpenImageIO cannot write " << format << " ("
                             << TakeError<OIIO::ImageOutput>(nullptr) << ")";
  MUTA_CHECK(out->set_ioproxy(&proxy))
      << name << ": OpenImageIO cannot write " << format << " to memory";
  bool ok = out->open(name.empty() ? std::string("image.") + format : name, spec);
  ok = ok && out->write_image(OIIO::TypeDesc::UINT8, source->pixels.data());
  ok = out->close() && ok;
  MUTA_CHECK(ok && !out->has_error())
      << name << ": cannot encode " << format << " (" << TakeError(out.get()) << ")";
  return std::vector<std::uint8_t>(buffer.begin(), buffer.end());
}

std::string LowerExtension(const fs::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

}  // namespace

std::optional<double> ImageInfo::FocalLengthPixels() const {
  const int long_side = std::max(width, height);
  if (long_side <= 0) return std::nullopt;
  if (focal_length_35mm && *focal_length_35mm > 0) {
    return *focal_length_35mm / 36.0 * long_side;
  }
  if (!focal_length_mm || !(*focal_length_mm > 0) || !focal_plane_x_res ||
      !(*focal_plane_x_res > 0)) {
    return std::nullopt;
  }
  double mm_per_unit = 0;
  switch (focal_plane_res_unit.value_or(2)) {  // EXIF's default unit is the inch
    case 2:
      mm_per_unit = 25.4;
      break;
    case 3:
      mm_per_unit = 10.0;
      break;
    case 4:
      mm_per_unit = 1.0;
      break;
    case 5:
      mm_per_unit = 0.001;
      break;
    default:
      return std::nullopt;  // 1 = no absolute unit
  }
  return *focal_length_mm * (*focal_plane_x_res / mm_per_unit);
}

ImageInfo ReadImageInfo(const fs::path& path) {
  const std::string name = path.string();
  const std::vector<std::uint8_t> head = ReadHead(path, 16);
  const Signature signature = Sniff(head);
  std::unique_ptr<OIIO::ImageInput> in;
  if (signature == Signature::kUnknown) {
    in = OpenOther(path, head);
  } else {
    in = OIIO::ImageInput::create(OiioFormatName(signature));
    MUTA_CHECK(in != nullptr) << name << ": this OpenImageIO has no " << DisplayName(signature)
                              << " reader (" << TakeError<OIIO::ImageInput>(nullptr) << ")";
    OIIO::ImageSpec spec;
    const bool opened = in->open(name, spec, ReadConfig());
    MUTA_CHECK(opened && !in->has_error())
        << name << ": corrupt " << DisplayName(signature) << " (" << TakeError(in.get()) << ")";
  }
  ImageInfo info = InfoFromSpec(in->spec(), in->format_name());
  in->close();
  return info;
}

Image ReadImage(const fs::path& path, int channels) {
  CheckChannelsArgument(channels);
  const std::string name = path.string();
  const std::vector<std::uint8_t> bytes = ReadFileBytes(path);
  const Signature signature = Sniff(bytes);
  if (signature != Signature::kUnknown) return DecodeKnown(signature, bytes, name, channels);
  auto in = OpenOther(path, std::span(bytes).first(std::min<std::size_t>(bytes.size(), 16)));
  const std::string format = in->format_name();
  Image image = DecodeOpened(*in, name, format.c_str(), channels);
  in->close();
  return image;
}

Image DecodeImage(const std::vector<std::uint8_t>& bytes, const std::string& name, int channels) {
  CheckChannelsArgument(channels);
  const Signature signature = Sniff(bytes);
  MUTA_CHECK(signature != Signature::kUnknown)
      << name << ": not an image OIIO can read (expected JPEG, PNG or TIFF data; "
      << DescribeStart(bytes) << ")";
  return DecodeKnown(signature, bytes, name, channels);
}

std::vector<float> Luma(const Image& image) {
  std::vector<float> out(std::size_t(image.width) * image.height);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t* p = &image.pixels[i * image.channels];
    out[i] = image.channels >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : float(p[0]);
  }
  return out;
}

Image ResizeImage(const Image& image, int width, int height) {
  CheckImage(image, "resize");
  MUTA_CHECK(width > 0 && height > 0) << "cannot resize an image to " << width << "x" << height;
  const OIIO::ImageSpec in_spec(image.width, image.height, image.channels, OIIO::TypeDesc::UINT8);
  const OIIO::ImageBuf in(in_spec, const_cast<std::uint8_t*>(image.pixels.data()));
  OIIO::ImageSpec out_spec(width, height, image.channels, OIIO::TypeDesc::UINT8);
  OIIO::ImageBuf out(out_spec);
  const bool ok = OIIO::ImageBufAlgo::resize(out, in, "lanczos3");
  MUTA_INTERNAL_CHECK(ok) << "image resize failed: " << out.geterror();
  Image result(width, height, image.channels);
  out.get_pixels(OIIO::ROI::All(), OIIO::TypeDesc::UINT8, result.pixels.data());
  return result;
}

void WriteImage(const fs::path& path, const Image& image, const ImageWriteOptions& options) {
  const std::string ext = LowerExtension(path);
  std::string format;
  if (ext == ".jpg" || ext == ".jpeg") {
    format = "jpeg";
  } else if (ext == ".png") {
    format = "png";
  }
  MUTA_CHECK(!format.empty()) << path.string() << ": cannot write images of type '" << ext
                              << "'; use .jpg, .jpeg or .png";
  WriteFileAtomic(path, Encode(image, format, options, path.string()));
}

std::vector<std::uint8_t> EncodeImage(const Image& image, const std::string& format,
                                      int jpeg_quality) {
  ImageWriteOptions options;
  options.jpeg_quality = jpeg_quality;
  return Encode(image, format, options, "image." + format);
}

}  // namespace muta
