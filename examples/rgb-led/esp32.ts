/** The RGB LED example on an ESP32 with a common-anode RGB LED and a button on GPIO13. */
import { main } from './app';
import { ESP32_RGB } from './profiles';

main(ESP32_RGB);
