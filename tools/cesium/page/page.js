// Loads /site/tileset.json in a bare CesiumWidget – no globe, imagery, terrain, sky or Cesium ion –
// and exposes window.muta for tools/cesium/run.js:
//   await muta.load({longitude_deg, latitude_deg, height_m, style, sse})  -> {errors, tiles, ...}
//   await muta.show(viewpoint)   -> waits until every tile the view needs is loaded, renders, and
//                                   returns pixel figures of the canvas
// Frames: the tileset is z-up metres (site.json frame); it is placed at a fixed longitude/latitude
// with an east-north-up modelMatrix (x east, y north, z up). Its glTF content is y-up and Cesium
// rotates it to z-up on load (3D Tiles "glTF transforms"), so the page rotates nothing.
'use strict';

(function () {
  const errors = [];
  const note = (kind, message) => errors.push({ kind, message: String(message) });
  window.addEventListener('error', (e) => note('page', e.message));
  window.addEventListener('unhandledrejection', (e) => note('promise', e.reason && e.reason.stack ? e.reason.stack : e.reason));

  // Background (clear) colour: a dark blue no lit model colour comes close to.
  const kClear = [20, 30, 70];
  // Provenance style colours: observed light grey, inferred orange, anything else magenta.
  const kObserved = '#d0d0d0';
  const kInferred = '#ff8000';
  const kUnknown = '#ff00ff';

  let widget = null;
  let tileset = null;
  let modelMatrix = null;
  let tilesFailed = 0;

  function nextFrame() {
    return new Promise((resolve) => {
      const remove = widget.scene.postRender.addEventListener(() => {
        remove();
        resolve();
      });
      widget.scene.requestRender();
    });
  }

  async function load(options) {
    Cesium.Ion.defaultAccessToken = '';  // no ion: anything needing it fails loudly
    widget = new Cesium.CesiumWidget('view', {
      globe: false,
      baseLayer: false,
      skyBox: false,
      skyAtmosphere: false,
      shadows: false,
      showRenderLoopErrors: false,
      contextOptions: { webgl: { preserveDrawingBuffer: true, antialias: false } },
    });
    const scene = widget.scene;
    scene.renderError.addEventListener((_, error) => note('render', error && error.stack ? error.stack : error));
    scene.backgroundColor = Cesium.Color.fromBytes(kClear[0], kClear[1], kClear[2], 255);
    if (scene.sun) scene.sun.show = false;
    if (scene.moon) scene.moon.show = false;
    scene.fog.enabled = false;
    scene.highDynamicRange = false;
    scene.postProcessStages.fxaa.enabled = false;
    // A fixed date and a fixed light (from the upper right front), so every run looks the same.
    widget.clock.currentTime = Cesium.JulianDate.fromIso8601('2024-06-21T04:00:00Z');
    widget.clock.shouldAnimate = false;

    const origin = Cesium.Cartesian3.fromDegrees(options.longitude_deg, options.latitude_deg, options.height_m);
    modelMatrix = Cesium.Transforms.eastNorthUpToFixedFrame(origin);
    const lightLocal = new Cesium.Cartesian3(-0.45, 0.6, -0.66);
    const light = Cesium.Matrix4.multiplyByPointAsVector(modelMatrix, lightLocal, new Cesium.Cartesian3());
    scene.light = new Cesium.DirectionalLight({ direction: Cesium.Cartesian3.normalize(light, light), intensity: 1.6 });

    const started = performance.now();
    tileset = await Cesium.Cesium3DTileset.fromUrl('/site/tileset.json', {
      modelMatrix,
      maximumScreenSpaceError: options.sse,
    });
    tileset.tileFailed.addEventListener((e) => {
      ++tilesFailed;
      note('tile', `${e.url}: ${e.message}`);
    });
    if (options.style) {
      tileset.style = new Cesium.Cesium3DTileStyle({
        color: {
          conditions: [
            ["${provenance} === 'observed'", `color('${kObserved}')`],
            ["regExp('^inferred:').test(${provenance})", `color('${kInferred}')`],
            ['true', `color('${kUnknown}')`],
          ],
        },
      });
    }
    scene.primitives.add(tileset);
    return {
      cesium_version: Cesium.VERSION,
      load_ms: performance.now() - started,
      asset_version: tileset.asset.version,
      bounding_sphere_radius_m: tileset.boundingSphere.radius,
    };
  }

  // A site.json viewpoint (z-up metres, vertical fov) -> the Cesium camera.
  function setView(v) {
    const scene = widget.scene;
    const toWorld = (p) => Cesium.Matrix4.multiplyByPoint(modelMatrix, new Cesium.Cartesian3(p[0], p[1], p[2]), new Cesium.Cartesian3());
    const eye = toWorld(v.eye);
    const target = toWorld(v.target);
    const direction = Cesium.Cartesian3.normalize(Cesium.Cartesian3.subtract(target, eye, new Cesium.Cartesian3()), new Cesium.Cartesian3());
    const upWorld = Cesium.Matrix4.multiplyByPointAsVector(modelMatrix, new Cesium.Cartesian3(v.up[0], v.up[1], v.up[2]), new Cesium.Cartesian3());
    const right = Cesium.Cartesian3.normalize(Cesium.Cartesian3.cross(direction, upWorld, new Cesium.Cartesian3()), new Cesium.Cartesian3());
    const up = Cesium.Cartesian3.cross(right, direction, new Cesium.Cartesian3());
    scene.camera.setView({ destination: eye, orientation: { direction, up } });
    const frustum = scene.camera.frustum;
    const aspect = scene.canvas.clientWidth / scene.canvas.clientHeight;
    const vfov = Cesium.Math.toRadians(v.fov_deg || 40);
    // Cesium's fov is the horizontal one when the canvas is wider than tall.
    frustum.fov = aspect > 1 ? 2 * Math.atan(Math.tan(vfov / 2) * aspect) : vfov;
    frustum.near = 0.05;
  }

  // Waits until the tileset has every tile the current view needs (tilesLoaded), at most
  // timeout_ms.
  async function waitLoaded(timeoutMs) {
    const start = performance.now();
    let settled = 0;
    while (performance.now() - start < timeoutMs) {
      await nextFrame();
      // tilesLoaded must hold on consecutive frames: the first frames after a camera move have
      // not requested the new view's tiles yet.
      settled = tileset.tilesLoaded ? settled + 1 : 0;
      if (settled >= 5) return true;
    }
    return false;
  }

  // Pixel figures of the drawn canvas (the WebGL drawing buffer is preserved).
  function pixels() {
    const canvas = widget.scene.canvas;
    const c2 = document.createElement('canvas');
    c2.width = canvas.width;
    c2.height = canvas.height;
    const ctx = c2.getContext('2d');
    ctx.drawImage(canvas, 0, 0);
    const data = ctx.getImageData(0, 0, c2.width, c2.height).data;
    let drawn = 0, inferred = 0, unknown = 0, centreDrawn = 0, centreTotal = 0;
    const w = c2.width, h = c2.height;
    for (let y = 0; y < h; ++y) {
      for (let x = 0; x < w; ++x) {
        const i = 4 * (y * w + x);
        const r = data[i], g = data[i + 1], b = data[i + 2];
        const bg = Math.abs(r - kClear[0]) <= 6 && Math.abs(g - kClear[1]) <= 6 && Math.abs(b - kClear[2]) <= 6;
        const centre = x >= w / 4 && x < (3 * w) / 4 && y >= h / 4 && y < (3 * h) / 4;
        if (centre) ++centreTotal;
        if (bg) continue;
        ++drawn;
        if (centre) ++centreDrawn;
        // Lit orange keeps r > g > b with a wide gap; lit grey has r ~ g ~ b; magenta has b > g.
        if (r > 60 && g > 0.25 * r && g < 0.75 * r && b < 0.35 * r) ++inferred;
        if (r > 60 && b > 60 && g < 0.5 * Math.min(r, b)) ++unknown;
      }
    }
    return {
      width: w,
      height: h,
      drawn_fraction: drawn / (w * h),
      centre_drawn_fraction: centreDrawn / Math.max(centreTotal, 1),
      inferred_fraction: inferred / Math.max(drawn, 1),
      unknown_fraction: unknown / Math.max(drawn, 1),
    };
  }

  async function show(view, timeoutMs) {
    const started = performance.now();
    setView(view);
    const loaded = await waitLoaded(timeoutMs);
    const loadMs = performance.now() - started;
    await nextFrame();
    const s = tileset._statistics || {};  // Cesium3DTilesetStatistics (private, informative)
    return {
      view: view.name,
      tiles_loaded: loaded && tileset.tilesLoaded,
      load_ms: loadMs,
      tiles_selected: s.selected,
      tiles_with_content: s.numberOfTilesWithContentReady,
      tiles_total: s.numberOfTilesTotal,
      triangles_drawn: s.numberOfTrianglesSelected,
      features_loaded: s.numberOfFeaturesLoaded,
      tiles_failed: tilesFailed,
      pixels: pixels(),
    };
  }

  window.muta = { load, show, errors, clear: kClear };
})();
