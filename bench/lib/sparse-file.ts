import { open } from "node:fs/promises";

/** A sparse file of `bytes`: it reads back as zeros without using the disk (the same bytes for every path measured). */
export async function makeSparseFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}
