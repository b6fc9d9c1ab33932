#include "reconstruct/mvs/patch_match_options.h"

#include <string>

#include "core/error.h"

namespace muta::reconstruct {

void PatchMatchOptions::Check() const {
  MUTA_CHECK(!max_image_size || *max_image_size >= 32)
      << "PatchMatchOptions.max_image_size must be at least 32 pixels, not " << *max_image_size;
  MUTA_CHECK(num_source_images >= 1 && num_source_images <= 32)
      << "PatchMatchOptions.num_source_images must be in 1..32, not " << num_source_images;
  MUTA_CHECK(min_triangulation_angle >= 0 && min_triangulation_angle < 90)
      << "PatchMatchOptions.min_triangulation_angle must be in [0, 90) degrees, not "
      << min_triangulation_angle;
  MUTA_CHECK(max_view_angle > 0 && max_view_angle <= 180)
      << "PatchMatchOptions.max_view_angle must be in (0, 180] degrees, not " << max_view_angle;
  MUTA_CHECK(depth_min.has_value() == depth_max.has_value())
      << "PatchMatchOptions.depth_min and depth_max must be given together";
  if (depth_min) {
    MUTA_CHECK(*depth_min > 0 && *depth_max > *depth_min)
        << "PatchMatchOptions.depth_min/depth_max must satisfy 0 < min < max, not " << *depth_min
        << ", " << *depth_max;
  }
  MUTA_CHECK(depth_range_margin >= 0 && depth_range_margin < 10)
      << "PatchMatchOptions.depth_range_margin must be in [0, 10), not " << depth_range_margin;
  MUTA_CHECK(window_radius >= 1 && window_radius <= 15)
      << "PatchMatchOptions.window_radius must be in 1..15, not " << window_radius;
  MUTA_CHECK(window_step >= 1 && window_step <= window_radius)
      << "PatchMatchOptions.window_step must be in 1..window_radius, not " << window_step;
  const int per_side = 2 * window_radius / window_step + 1;
  MUTA_CHECK(per_side * per_side <= 128)
      << "PatchMatchOptions: a window of radius " << window_radius << " and step " << window_step
      << " has more than 128 samples; raise window_step";
  MUTA_CHECK(sigma_spatial > 0) << "PatchMatchOptions.sigma_spatial must be positive";
  MUTA_CHECK(sigma_color > 0) << "PatchMatchOptions.sigma_color must be positive";
  MUTA_CHECK(min_patch_stddev >= 0) << "PatchMatchOptions.min_patch_stddev must be >= 0";
  MUTA_CHECK(num_iterations >= 1 && num_iterations <= 100)
      << "PatchMatchOptions.num_iterations must be in 1..100, not " << num_iterations;
  MUTA_CHECK(num_scales >= 1 && num_scales <= 5)
      << "PatchMatchOptions.num_scales must be in 1..5, not " << num_scales;
  MUTA_CHECK(num_fine_iterations >= 0 && num_fine_iterations <= 100)
      << "PatchMatchOptions.num_fine_iterations must be in 0..100, not " << num_fine_iterations;
  MUTA_CHECK(num_refinement_hypotheses >= 0 && num_refinement_hypotheses <= 6)
      << "PatchMatchOptions.num_refinement_hypotheses must be in 0..6, not "
      << num_refinement_hypotheses;
  MUTA_CHECK(depth_perturbation >= 0 && depth_perturbation < 1)
      << "PatchMatchOptions.depth_perturbation must be in [0, 1), not " << depth_perturbation;
  MUTA_CHECK(normal_perturbation >= 0 && normal_perturbation <= 2)
      << "PatchMatchOptions.normal_perturbation must be in [0, 2], not " << normal_perturbation;
  MUTA_CHECK(num_geometric_iterations >= 0 && num_geometric_iterations <= 100)
      << "PatchMatchOptions.num_geometric_iterations must be in 0..100, not "
      << num_geometric_iterations;
  MUTA_CHECK(geometric_weight >= 0) << "PatchMatchOptions.geometric_weight must be >= 0";
  MUTA_CHECK(geometric_max_error > 0) << "PatchMatchOptions.geometric_max_error must be > 0";
  MUTA_CHECK(filter_max_cost > 0 && filter_max_cost <= 2)
      << "PatchMatchOptions.filter_max_cost must be in (0, 2], not " << filter_max_cost;
  MUTA_CHECK(filter_min_consistent_views >= 0)
      << "PatchMatchOptions.filter_min_consistent_views must be >= 0";
  MUTA_CHECK(filter_max_reprojection_error > 0)
      << "PatchMatchOptions.filter_max_reprojection_error must be > 0";
  MUTA_CHECK(filter_max_depth_difference > 0)
      << "PatchMatchOptions.filter_max_depth_difference must be > 0";
}

PatchMatchOptions PatchMatchPreset(std::string_view quality) {
  PatchMatchOptions o;
  if (quality == "preview") {
    o.max_image_size = 1000;
    o.num_iterations = 2;
    o.num_refinement_hypotheses = 3;
  } else if (quality == "standard") {
    o.max_image_size = 2000;
    // The standard fusion fuses the photometric maps and checks multi-view consistency itself
    // (FusionPreset, docs/fusion.md), so the geometric pass would double the time for maps that
    // nothing reads. `high` keeps it.
    o.geometric = false;
  } else if (quality == "high") {
    o.max_image_size = std::nullopt;
    o.num_iterations = 4;
    o.num_fine_iterations = 2;
    o.num_refinement_hypotheses = 6;
    o.num_source_images = 8;
    o.num_geometric_iterations = 2;
  } else {
    MUTA_FAIL << "unknown quality '" << std::string(quality) << "'; use preview, standard or high";
  }
  return o;
}

}  // namespace muta::reconstruct
