// Contact sheets: thumbnails of a set of images on one page.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "tools/synth/synth.h"

namespace muta::synth {

Image MakeContactSheet(std::span<const Image> images, int columns, int width) {
  MUTA_CHECK(!images.empty()) << "contact sheet: no images";
  MUTA_CHECK(columns >= 1 && width >= 16 * columns)
      << "contact sheet: " << columns << " columns do not fit in " << width << " pixels";
  constexpr int kGap = 4;
  const int rows = (static_cast<int>(images.size()) + columns - 1) / columns;
  const int cell_w = (width - kGap * (columns + 1)) / columns;
  // Cells take the aspect ratio of the first image.
  const double aspect = static_cast<double>(images[0].height) / images[0].width;
  const int cell_h = std::max(1, static_cast<int>(std::lround(cell_w * aspect)));
  Image sheet(width, rows * cell_h + kGap * (rows + 1), 3, 24);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Image& img = images[i];
    MUTA_CHECK(!img.Empty() && img.channels >= 1) << "contact sheet: image " << i << " is empty";
    const int col = static_cast<int>(i) % columns, row = static_cast<int>(i) / columns;
    const double scale =
        std::min(static_cast<double>(cell_w) / img.width, static_cast<double>(cell_h) / img.height);
    const int tw = std::max(1, static_cast<int>(img.width * scale));
    const int th = std::max(1, static_cast<int>(img.height * scale));
    const int x0 = kGap + col * (cell_w + kGap) + (cell_w - tw) / 2;
    const int y0 = kGap + row * (cell_h + kGap) + (cell_h - th) / 2;
    // Box filter over the source pixels each thumbnail pixel covers.
    for (int y = 0; y < th; ++y) {
      const int sy0 = static_cast<int>(y / scale), sy1 = std::max(sy0 + 1, int((y + 1) / scale));
      for (int x = 0; x < tw; ++x) {
        const int sx0 = static_cast<int>(x / scale), sx1 = std::max(sx0 + 1, int((x + 1) / scale));
        for (int c = 0; c < 3; ++c) {
          const int sc = std::min(c, img.channels - 1);
          long sum = 0, n = 0;
          for (int sy = sy0; sy < std::min(sy1, img.height); ++sy) {
            for (int sx = sx0; sx < std::min(sx1, img.width); ++sx, ++n) sum += img.at(sx, sy, sc);
          }
          sheet.at(x0 + x, y0 + y, c) = static_cast<std::uint8_t>(n ? sum / n : 0);
        }
      }
    }
  }
  return sheet;
}

}  // namespace muta::synth
