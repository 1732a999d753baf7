/** Types of tools/ota-image.js (the Blynk.Air OTA image of a firmware, docs/ota-image.md). */

/** What the cloud reads from the image: the firmware's identity, as the device announces it. */
export interface Tag {
  /** Firmware version (`mcu`, the product's `fwVersion`); not empty. */
  mcu: string;
  /** Firmware type (`fw-type`: the product's `fwType`, by default its template id); not empty. */
  fwType: string;
  /** Build date string (`build`); '' when the firmware sets none. */
  build: string;
  /** Library version (`blynk`). */
  blynk: string;
}

/** One file to put in an image: its Storage name ("edgent.boot" for the boot code; never ".boot…") and its bytes. */
export interface ImageFile {
  name: string;
  data: Buffer;
}

/** One file of a read image. */
export interface ImageEntry {
  /** Storage name ("edgent.boot" for the boot code). */
  name: string;
  /** Bytes. */
  size: number;
  /** CRC-32 (zlib's, Espruino's E.CRC32), unsigned. */
  crc: number;
  /** Where its body starts in the image. */
  offset: number;
}

/**
 * The image of a firmware: the files of its slot in index order, the boot code "edgent.boot" first, no file
 * Espruino runs at boot (".bootcde", the loader, ".boot0"…). Throws on a value the format cannot hold.
 */
export function buildImage(image: Tag & { files: ImageFile[] }): Buffer;

/** Reads and checks an image (every field, the sizes against the length, every CRC); throws saying what is wrong. */
export function readImage(buf: Buffer): { tag: Tag; files: ImageEntry[] };

/**
 * The image of a deployment manifest (`dist/<name>.files.json`): its Storage files, "edgent.boot" first,
 * the others in manifest order; not its `bootCode` (the loader, which no update replaces). Throws when
 * the manifest has no "edgent.boot" (not a slot firmware) or no `bootCode` (the library module).
 * A tag value left out is what the firmware announces (`tagOfFirmware` of "edgent.boot").
 */
export function imageFromManifest(manifestPath: string, values?: Partial<Tag>): Buffer;

/** What a firmware announces to the cloud, read from its built code, "edgent.boot" (its one `createEdgent` options literal); throws when it cannot tell. */
export function tagOfFirmware(code: string): Tag;

/** The command line; returns the exit status (0 written, 1 no image, 2 bad arguments). */
export function main(argv: string[], io?: { out: (s: string) => void; err: (s: string) => void }): number;

/** The boot code's Storage name in its slot, the first file of an image: "edgent.boot" (the loader, ".bootcde", runs it). */
export const BOOT_CODE: string;
/** Library version the device announces (lib/cloud.ts BLYNK_LIB_VERSION). */
export const BLYNK_LIB_VERSION: string;
