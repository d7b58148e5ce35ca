/**
 * Pixel size from an image's header, without decoding it: enough to
 * estimate tokens and enforce pixel limits up front. Returns undefined when
 * the header can't be read cheaply (the caller assumes the worst case).
 */
export function imageSize(
  bytes: Uint8Array,
  format: 'png' | 'jpeg' | 'gif' | 'webp'
): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (format) {
      case 'png':
        // IHDR is the first chunk: width and height at offsets 16 and 20.
        return { width: view.getUint32(16), height: view.getUint32(20) };
      case 'gif':
        return {
          width: view.getUint16(6, true),
          height: view.getUint16(8, true),
        };
      case 'jpeg':
        return jpegSize(bytes, view);
      case 'webp':
        return webpSize(bytes, view);
    }
  } catch {
    return undefined;
  }
}

/** Walks JPEG segments to the first start-of-frame marker. */
function jpegSize(
  bytes: Uint8Array,
  view: DataView
): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the size.
    if (
      marker >= 0xc0 &&
      marker <= 0xcf &&
      marker !== 0xc4 &&
      marker !== 0xc8 &&
      marker !== 0xcc
    ) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

/** Reads the VP8 (lossy), VP8L (lossless) or VP8X (extended) header. */
function webpSize(
  bytes: Uint8Array,
  view: DataView
): { width: number; height: number } | undefined {
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === 'VP8X') {
    const w = 1 + (bytes[24]! | (bytes[25]! << 8) | (bytes[26]! << 16));
    const h = 1 + (bytes[27]! | (bytes[28]! << 8) | (bytes[29]! << 16));
    return { width: w, height: h };
  }
  if (chunk === 'VP8L') {
    const b = view.getUint32(21, true);
    return { width: (b & 0x3fff) + 1, height: ((b >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ') {
    return {
      width: view.getUint16(26, true) & 0x3fff,
      height: view.getUint16(28, true) & 0x3fff,
    };
  }
  return undefined;
}
