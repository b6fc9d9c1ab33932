#pragma once
// Image files: JPEG, PNG and TIFF read; JPEG and PNG write; EXIF focal length and camera.
// Backed by OpenImageIO (kept out of this header).
//
// Readers throw muta::Error naming the file for a missing, non-image, corrupt or truncated
// file (a JPEG without its end-of-image marker or one libjpeg reports as damaged is an error,
// not a grey-filled picture).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace muta {

/// 8-bit image: row-major, top row first, channels interleaved (1 grey, 3 RGB, 4 RGBA; sRGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  ///< width * height * channels

  Image() = default;
  Image(int w, int h, int c, std::uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(std::size_t(w) * h * c, fill) {}
  std::uint8_t& at(int x, int y, int c = 0) {
    return pixels[(std::size_t(y) * width + x) * channels + c];
  }
  std::uint8_t at(int x, int y, int c = 0) const {
    return pixels[(std::size_t(y) * width + x) * channels + c];
  }
  bool Empty() const { return width == 0 || height == 0; }
};

/// What an image file says about itself, without decoding the pixels.
struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::string format;                       ///< "jpeg", "png", "tiff"
  std::optional<double> focal_length_mm;    ///< EXIF FocalLength
  std::optional<double> focal_length_35mm;  ///< EXIF FocalLengthIn35mmFilm
  std::optional<double> focal_plane_x_res;  ///< EXIF FocalPlaneXResolution (pixels per unit)
  std::optional<int> focal_plane_res_unit;  ///< EXIF FocalPlaneResolutionUnit (2 inch, 3 cm)
  std::string camera_make;                  ///< EXIF Make
  std::string camera_model;                 ///< EXIF Model
  int orientation = 1;                      ///< EXIF Orientation (1 = upright)
  std::optional<double> gps_latitude_deg;   ///< EXIF GPS, WGS84 degrees (+ north)
  std::optional<double> gps_longitude_deg;  ///< EXIF GPS, WGS84 degrees (+ east)
  std::optional<double> gps_altitude_m;     ///< EXIF GPS, metres above sea level

  /// Focal length in pixels from EXIF: from the 35 mm equivalent, else from the focal plane
  /// resolution; nullopt when EXIF does not tell.
  std::optional<double> FocalLengthPixels() const;
};

ImageInfo ReadImageInfo(const std::filesystem::path& path);

/// Decodes the whole image, converted to `channels` (1, 3 or 4; 0 = as stored, at most 4).
/// 16-bit and float images are converted to 8 bits.
Image ReadImage(const std::filesystem::path& path, int channels = 3);

/// Decodes an image held in memory (fuzzing, embedded glTF textures); `name` is for messages
/// and its extension is not needed (the format is detected from the bytes).
Image DecodeImage(const std::vector<std::uint8_t>& bytes, const std::string& name,
                  int channels = 3);

/// Resamples to `width` x `height` with a good low-pass filter (for downscaling photographs).
Image ResizeImage(const Image& image, int width, int height);

/// Luma (BT.601: 0.299 R + 0.587 G + 0.114 B, 8-bit scale) per pixel, row-major; a one-channel
/// image's own values.
std::vector<float> Luma(const Image& image);

struct ImageWriteOptions {
  int jpeg_quality = 92;                    ///< 1..100
  std::optional<double> focal_length_mm;    ///< written as EXIF FocalLength (JPEG)
  std::optional<double> focal_length_35mm;  ///< written as EXIF FocalLengthIn35mmFilm (JPEG)
  std::string camera_make;                  ///< EXIF Make
  std::string camera_model;                 ///< EXIF Model
};

/// Writes by extension (.jpg/.jpeg or .png), atomically (temp + rename).
void WriteImage(const std::filesystem::path& path, const Image& image,
                const ImageWriteOptions& options = {});

/// Encodes to memory as "jpeg" or "png" (for glTF textures).
std::vector<std::uint8_t> EncodeImage(const Image& image, const std::string& format,
                                      int jpeg_quality = 92);

}  // namespace muta
